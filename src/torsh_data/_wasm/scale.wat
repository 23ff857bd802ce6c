;; Column-scaling kernel for torsh_data._wasm (NOTE [ WebAssembly kernels ] in __init__.py):
;; Standardize and friends on a float32 [N, F] tensor.
;; The memory is Pyodide's own: addresses are those of Python buffers, checked by the caller.
(module
  (import "env" "memory" (memory 0))

  ;; out[i] = f32((f64(x[i]) - shift[i mod f]) / scale[i mod f]) for i < n (n a multiple of
  ;; f >= 1): x and out float32, shift and scale float64 (f of each). The IEEE operations of
  ;; the Python path, each correctly rounded (WebAssembly has no fused or extended ones), so
  ;; the same bits, except for NaN, whose payload WebAssembly does not fix: returns n, or the
  ;; index of the first NaN input (the caller then runs the Python path).
  (func (export "scale_f32") (param $x i32) (param $n i32) (param $f i32)
                             (param $shift i32) (param $scale i32) (param $out i32) (result i32)
    (local $i i32) (local $j i32) (local $v f32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
        (br_if $done (f32.ne (local.get $v) (local.get $v)))
        (f32.store
          (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.demote_f64
            (f64.div
              (f64.sub (f64.promote_f32 (local.get $v))
                       (f64.load (i32.add (local.get $shift) (i32.shl (local.get $j) (i32.const 3)))))
              (f64.load (i32.add (local.get $scale) (i32.shl (local.get $j) (i32.const 3)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (if (i32.eq (local.get $j) (local.get $f)) (then (local.set $j (i32.const 0))))
        (br $next)))
    (local.get $i))

  ;; out[i] = d * d with d = f64(x[i * f + j]) - m, for i < rows: the squared deviations of
  ;; column j of a float32 [rows, f] table, each product correctly rounded (the Python path's
  ;; bits; the caller passes finite values, so no NaN arises).
  (func (export "squares_f32") (param $x i32) (param $rows i32) (param $f i32) (param $j i32)
                               (param $m f64) (param $out i32)
    (local $end i32) (local $d f64)
    (local.set $x (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $d (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (local.get $m)))
        (f64.store (local.get $out) (f64.mul (local.get $d) (local.get $d)))
        (local.set $x (i32.add (local.get $x) (i32.shl (local.get $f) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (br $next))))
)
