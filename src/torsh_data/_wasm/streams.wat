;; Stream kernels for torsh_data._wasm (NOTE [ WebAssembly kernels ] in __init__.py).
;; The memory is Pyodide's own: addresses are those of Python buffers, checked by the caller.
(module
  (import "env" "memory" (memory 0))

  ;; The seeds of a batch's per-sample streams, in lanes (NOTE [ Streams in lanes ] in
  ;; torsh_data/_streams.py): $params holds n uint64 sample indices, then the epoch's base
  ;; seed (uint64). Stream i's seed is SplitMix64's output of base + (index_i + 1) * golden
  ;; (mod 2**64), as _streams.lane_seed computes it; it goes to lane i at $out + 16 i: the
  ;; 64-bit state little-endian, then 8 zero bytes.
  (func (export "seed_lanes") (param $params i32) (param $n i32) (param $out i32)
    (local $i i32) (local $base i64) (local $at i32)
    (local.set $base
      (i64.load (i32.add (local.get $params) (i32.shl (local.get $n) (i32.const 3)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 4))))
        (i64.store (local.get $at)
          (call $mix
            (i64.add (local.get $base)
              (i64.mul
                (i64.add
                  (i64.load (i32.add (local.get $params) (i32.shl (local.get $i) (i32.const 3))))
                  (i64.const 1))
                (i64.const 0x9E3779B97F4A7C15)))))
        (i64.store offset=8 (local.get $at) (i64.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; SplitMix64's output function
  (func $mix (param $z i64) (result i64)
    (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 30)))
      (i64.const 0xBF58476D1CE4E5B9)))
    (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 27)))
      (i64.const 0x94D049BB133111EB)))
    (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 31))))
)
