;; Image kernels for torsh_data._wasm (NOTE [ WebAssembly kernels ] in __init__.py).
;; The memory is Pyodide's own: addresses are those of Python buffers, checked by the caller.
(module
  (import "env" "memory" (memory 0))

  ;; out[i] = table[src[i]] for i < n: 4-byte entries (float32 bits, copied as integers so
  ;; every bit pattern, NaN payloads included, arrives unchanged).
  (func (export "lookup4") (param $src i32) (param $n i32) (param $table i32) (param $out i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (block $done4  ;; four bytes a turn
      (loop $next4
        (br_if $done4 (i32.lt_u (i32.sub (local.get $end) (local.get $src)) (i32.const 4)))
        (i32.store (local.get $out)
          (i32.load (i32.add (local.get $table) (i32.shl (i32.load8_u (local.get $src)) (i32.const 2)))))
        (i32.store offset=4 (local.get $out)
          (i32.load (i32.add (local.get $table)
            (i32.shl (i32.load8_u offset=1 (local.get $src)) (i32.const 2)))))
        (i32.store offset=8 (local.get $out)
          (i32.load (i32.add (local.get $table)
            (i32.shl (i32.load8_u offset=2 (local.get $src)) (i32.const 2)))))
        (i32.store offset=12 (local.get $out)
          (i32.load (i32.add (local.get $table)
            (i32.shl (i32.load8_u offset=3 (local.get $src)) (i32.const 2)))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $next4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (i32.store
          (local.get $out)
          (i32.load
            (i32.add (local.get $table) (i32.shl (i32.load8_u (local.get $src)) (i32.const 2)))))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next))))
;; NOTE [ Crop-flip kernel ]: a batch of n one-plane images (h rows of w pixels of u bytes,
  ;; one after the other at $src) padded by (left, top) and the right/bottom implied by the
  ;; windows, window i (th x tw) at position ks[i] of the grid of $cols window columns (top =
  ;; k / cols, left = k % cols, in padded coordinates), mirrored left-right where flips[i] is
  ;; not 0. $params holds n int32 ks, then n int32 flips, then the fill pixel's u bytes (what
  ;; a pixel outside the image is).
  ;; $table == 0: the bytes, (n, th, tw, u) at $out. Otherwise u tables of 1024 bytes (channel
  ;; c's at $table + 1024 c, 4-byte entries as lookup4's): float32 (n, u, th, tw) at $out.
  ;; Each row is three runs: fill, source pixels (forward, or backward when flipped), fill.
  ;; Reads stay inside the image: a source run's columns are in [0, w), its row in [0, h).
  (func $crop_flip (export "crop_flip")
    (param $src i32) (param $n i32) (param $h i32) (param $w i32) (param $u i32)
    (param $left i32) (param $top i32) (param $cols i32) (param $params i32)
    (param $th i32) (param $tw i32) (param $table i32) (param $out i32)
    (local $ks i32) (local $flips i32) (local $fill i32)
    (local $i i32) (local $y i32) (local $k i32) (local $r i32) (local $cl i32)
    (local $x0 i32) (local $x1 i32) (local $flip i32) (local $image i32) (local $row i32)
    (local $step i32) (local $p i32) (local $dp i32) (local $plane i32) (local $o i32)
    (local.set $ks (local.get $params))
    (local.set $flips (i32.add (local.get $ks) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $fill (i32.add (local.get $flips) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $row (i32.mul (local.get $w) (local.get $u)))
    (local.set $image (i32.mul (local.get $h) (local.get $row)))
    ;; bytes out per output pixel as the output pointer walks (plane 0 for float32)
    (local.set $step (select (local.get $u) (i32.const 4) (i32.eqz (local.get $table))))
    (local.set $plane (i32.shl (i32.mul (local.get $th) (local.get $tw)) (i32.const 2)))
    (block $images_done
      (loop $images
        (br_if $images_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $k (i32.load (i32.add (local.get $ks) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $flip
          (i32.load (i32.add (local.get $flips) (i32.shl (local.get $i) (i32.const 2)))))
        ;; the window's first column in image coordinates, and the columns [x0, x1) of the
        ;; window that fall inside the image (x is the output column)
        (local.set $cl (i32.sub (i32.rem_u (local.get $k) (local.get $cols)) (local.get $left)))
        (if (local.get $flip)
          (then
            (local.set $x0 (call $clamp
              (i32.sub (i32.add (local.get $cl) (local.get $tw)) (local.get $w))
              (i32.const 0) (local.get $tw)))
            (local.set $x1 (call $clamp
              (i32.add (local.get $cl) (local.get $tw)) (local.get $x0) (local.get $tw)))
            (local.set $dp (i32.sub (i32.const 0) (local.get $u))))
          (else
            (local.set $x0 (call $clamp
              (i32.sub (i32.const 0) (local.get $cl)) (i32.const 0) (local.get $tw)))
            (local.set $x1 (call $clamp
              (i32.sub (local.get $w) (local.get $cl)) (local.get $x0) (local.get $tw)))
            (local.set $dp (local.get $u))))
        (local.set $r (i32.sub (i32.div_u (local.get $k) (local.get $cols)) (local.get $top)))
        (local.set $y (i32.const 0))
        (block $rows_done
          (loop $rows
            (br_if $rows_done (i32.ge_u (local.get $y) (local.get $th)))
            (if (i32.lt_u (local.get $r) (local.get $h))  ;; a row of the image (r >= 0)
              (then
                ;; the source pixel of output column x0: column cl + x0, or, flipped,
                ;; cl + tw - 1 - x0
                (local.set $p (i32.add
                  (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $image)))
                  (i32.add
                    (i32.mul (local.get $r) (local.get $row))
                    (i32.mul (local.get $u)
                      (select
                        (i32.sub (i32.add (local.get $cl) (i32.sub (local.get $tw) (i32.const 1)))
                          (local.get $x0))
                        (i32.add (local.get $cl) (local.get $x0))
                        (local.get $flip))))))
                (local.set $o (local.get $out))
                (if (local.get $x0)
                  (then
                    (local.set $o (call $run (local.get $fill) (i32.const 0) (local.get $x0)
                      (local.get $o) (local.get $u) (local.get $table) (local.get $plane)))))
                (if (i32.lt_u (local.get $x0) (local.get $x1))
                  (then
                    (local.set $o (call $run (local.get $p) (local.get $dp)
                      (i32.sub (local.get $x1) (local.get $x0))
                      (local.get $o) (local.get $u) (local.get $table) (local.get $plane)))))
                (if (i32.lt_u (local.get $x1) (local.get $tw))
                  (then
                    (drop (call $run (local.get $fill) (i32.const 0)
                      (i32.sub (local.get $tw) (local.get $x1))
                      (local.get $o) (local.get $u) (local.get $table) (local.get $plane))))))
              (else
                (drop (call $run (local.get $fill) (i32.const 0) (local.get $tw)
                  (local.get $out) (local.get $u) (local.get $table) (local.get $plane)))))
            (local.set $out (i32.add (local.get $out) (i32.mul (local.get $tw) (local.get $step))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $rows)))
        ;; float32: the walk covered plane 0; skip the image's other u - 1 planes
        (if (local.get $table)
          (then
            (local.set $out (i32.add (local.get $out)
              (i32.mul (i32.sub (local.get $u) (i32.const 1)) (local.get $plane))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $images)))
  )

  ;; min(max(v, lo), hi), signed
  (func $clamp (param $v i32) (param $lo i32) (param $hi i32) (result i32)
    (select (local.get $hi)
      (select (local.get $lo) (local.get $v) (i32.lt_s (local.get $v) (local.get $lo)))
      (i32.gt_s (local.get $v) (local.get $hi))))

  ;; $count output pixels from the source pixels $p, $p + $dp, ...; the output pointer after
  ;; them. $table == 0: u bytes a pixel; else u float32 planes $plane bytes apart.
  (func $run (param $p i32) (param $dp i32) (param $count i32) (param $out i32) (param $u i32)
    (param $table i32) (param $plane i32) (result i32)
    (local $end i32) (local $b i32) (local $t i32) (local $o i32)
    (if (i32.eqz (local.get $table))
      (then
        (local.set $end (i32.add (local.get $out) (i32.mul (local.get $count) (local.get $u))))
        (if (i32.eq (local.get $u) (i32.const 1))
          (then
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
                (i32.store8 (local.get $out) (i32.load8_u (local.get $p)))
                (local.set $p (i32.add (local.get $p) (local.get $dp)))
                (local.set $out (i32.add (local.get $out) (i32.const 1)))
                (br $next))))
          (else
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
                (local.set $b (i32.const 0))
                (block $pixel_done
                  (loop $byte
                    (br_if $pixel_done (i32.ge_u (local.get $b) (local.get $u)))
                    (i32.store8 (i32.add (local.get $out) (local.get $b))
                      (i32.load8_u (i32.add (local.get $p) (local.get $b))))
                    (local.set $b (i32.add (local.get $b) (i32.const 1)))
                    (br $byte)))
                (local.set $p (i32.add (local.get $p) (local.get $dp)))
                (local.set $out (i32.add (local.get $out) (local.get $u)))
                (br $next)))))
        (return (local.get $end))))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (if (i32.eq (local.get $u) (i32.const 1))
      (then
        (local.set $t (i32.shl (local.get $dp) (i32.const 1)))  ;; two steps
        (block $done4  ;; four pixels a turn
          (loop $next4
            (br_if $done4 (i32.lt_u (i32.sub (local.get $end) (local.get $out)) (i32.const 16)))
            (i32.store (local.get $out)
              (i32.load (i32.add (local.get $table)
                (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))))
            (i32.store offset=4 (local.get $out)
              (i32.load (i32.add (local.get $table)
                (i32.shl (i32.load8_u (i32.add (local.get $p) (local.get $dp))) (i32.const 2)))))
            (local.set $p (i32.add (local.get $p) (local.get $t)))
            (i32.store offset=8 (local.get $out)
              (i32.load (i32.add (local.get $table)
                (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))))
            (i32.store offset=12 (local.get $out)
              (i32.load (i32.add (local.get $table)
                (i32.shl (i32.load8_u (i32.add (local.get $p) (local.get $dp))) (i32.const 2)))))
            (local.set $p (i32.add (local.get $p) (local.get $t)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (br $next4)))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
            (i32.store (local.get $out)
              (i32.load (i32.add (local.get $table)
                (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))))
            (local.set $p (i32.add (local.get $p) (local.get $dp)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (br $next))))
      (else
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
            (local.set $b (i32.const 0))
            (local.set $o (local.get $out))
            (local.set $t (local.get $table))
            (block $pixel_done
              (loop $channel
                (br_if $pixel_done (i32.ge_u (local.get $b) (local.get $u)))
                (i32.store (local.get $o)
                  (i32.load (i32.add (local.get $t)
                    (i32.shl (i32.load8_u (i32.add (local.get $p) (local.get $b)))
                      (i32.const 2)))))
                (local.set $o (i32.add (local.get $o) (local.get $plane)))
                (local.set $t (i32.add (local.get $t) (i32.const 1024)))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $channel)))
            (local.set $p (i32.add (local.get $p) (local.get $dp)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (br $next)))))
    (local.get $end))
;; The draws of RandomCrop + RandomHorizontalFlip from each sample's stream (SplitMix64, NOTE
  ;; [ Per-sample streams ] in random.py), exactly as SampleGenerator draws them: n 64-bit
  ;; states at $states, one 16-byte lane each (little-endian, advanced in place). For stream
  ;; i: when $below > 1, ks[i] = randbelow($below) (the top bits of each draw,
  ;; refused draws drawn again), else 0 and no draw; then, when $flip, flips[i] = 1 where
  ;; random() < $p (the top 53 bits times 2**-53), else 0 and no draw. ks then flips, n int32
  ;; each, at $out.
  (func $draw_windows (export "draw_windows")
    (param $states i32) (param $n i32) (param $below i32) (param $flip i32) (param $p f64)
    (param $out i32)
    (local $i i32) (local $at i32) (local $state i64) (local $z i64) (local $shift i64)
    (local $positions i64)
    (local.set $positions (i64.extend_i32_u (local.get $below)))
    (local.set $shift (i64.clz (local.get $positions)))  ;; 64 - bit_length(positions)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.add (local.get $states) (i32.shl (local.get $i) (i32.const 4))))
        (local.set $state (i64.load (local.get $at)))
        (if (i64.gt_u (local.get $positions) (i64.const 1))
          (then
            (loop $again
              (local.set $state (i64.add (local.get $state) (i64.const 0x9E3779B97F4A7C15)))
              (local.set $z (call $mix (local.get $state)))
              (br_if $again (i64.ge_u (i64.shr_u (local.get $z) (local.get $shift))
                (local.get $positions))))
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
              (i32.wrap_i64 (i64.shr_u (local.get $z) (local.get $shift)))))
          (else
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
              (i32.const 0))))
        (i32.store (i32.add (local.get $out)
            (i32.shl (i32.add (local.get $i) (local.get $n)) (i32.const 2)))
          (if (result i32) (local.get $flip)
            (then
              (local.set $state (i64.add (local.get $state) (i64.const 0x9E3779B97F4A7C15)))
              (f64.lt
                (f64.mul
                  (f64.convert_i64_u (i64.shr_u (call $mix (local.get $state)) (i64.const 11)))
                  (f64.const 0x1p-53))
                (local.get $p)))
            (else (i32.const 0))))
        (i64.store (local.get $at) (local.get $state))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

;; The fused step in one call: draw_windows into the first 2n int32 of $params (ks, then
  ;; flips), then crop_flip with them ($params as crop_flip reads it: the fill pixel follows).
  (func (export "draw_crop_flip")
    (param $states i32) (param $below i32) (param $flip i32) (param $p f64)
    (param $src i32) (param $n i32) (param $h i32) (param $w i32) (param $u i32)
    (param $left i32) (param $top i32) (param $cols i32) (param $params i32)
    (param $th i32) (param $tw i32) (param $table i32) (param $out i32)
    (call $draw_windows (local.get $states) (local.get $n) (local.get $below) (local.get $flip)
      (local.get $p) (local.get $params))
    (call $crop_flip (local.get $src) (local.get $n) (local.get $h) (local.get $w) (local.get $u)
      (local.get $left) (local.get $top) (local.get $cols) (local.get $params)
      (local.get $th) (local.get $tw) (local.get $table) (local.get $out)))

    ;; SplitMix64's output function
  (func $mix (param $z i64) (result i64)
    (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 30)))
      (i64.const 0xBF58476D1CE4E5B9)))
    (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 27)))
      (i64.const 0x94D049BB133111EB)))
    (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 31))))
)
