;; Gathering kernels for torsh_data._wasm (NOTE [ WebAssembly kernels ] in __init__.py).
;; The memory is Pyodide's own: addresses are those of Python buffers, checked by the caller.
(module
  (import "env" "memory" (memory 0))

  ;; Row j of $out = row idx[j] of the $rows rows of $row bytes at $data, for j < $count; the
  ;; indices are int64, a negative one counts from the end. Returns $count, or the position
  ;; of the first index out of range (the rows before it written, none after).
  (func (export "gather_rows") (param $data i32) (param $rows i32) (param $row i32)
                               (param $idx i32) (param $count i32) (param $out i32) (result i32)
    (local $j i32) (local $i i64) (local $src i32) (local $k i32) (local $words i32)
    ;; rows of up to 128 bytes in whole 8-byte words: a word loop beats memory.copy there
    (local.set $words
      (i32.and (i32.eqz (i32.and (local.get $row) (i32.const 7)))
               (i32.le_u (local.get $row) (i32.const 128))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $i (i64.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 3)))))
        (if (i64.lt_s (local.get $i) (i64.const 0))
          (then (local.set $i (i64.add (local.get $i) (i64.extend_i32_u (local.get $rows))))))
        ;; still negative (below -rows) reads as a huge unsigned value: out of range too
        (br_if $done (i64.ge_u (local.get $i) (i64.extend_i32_u (local.get $rows))))
        (local.set $src
          (i32.add (local.get $data) (i32.mul (i32.wrap_i64 (local.get $i)) (local.get $row))))
        (if (local.get $words)
          (then
            (local.set $k (i32.const 0))
            (block $row_done
              (loop $word
                (br_if $row_done (i32.ge_u (local.get $k) (local.get $row)))
                (i64.store (i32.add (local.get $out) (local.get $k))
                           (i64.load (i32.add (local.get $src) (local.get $k))))
                (local.set $k (i32.add (local.get $k) (i32.const 8)))
                (br $word))))
          (else (memory.copy (local.get $out) (local.get $src) (local.get $row))))
        (local.set $out (i32.add (local.get $out) (local.get $row)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (local.get $j))
)
