;; Pixel-layout kernels for torsh_data._wasm (NOTE [ WebAssembly kernels ] in __init__.py):
;; RGBA <-> RGB for what the browser's canvases read and write.
;; The memory is Pyodide's own: addresses are those of Python buffers, checked by the caller.
(module
  (import "env" "memory" (memory 0))

  ;; out[3i + k] = src[4i + k] for k < 3, i < n (n >= 1): the alpha bytes dropped. Every
  ;; pixel but the last is one 4-byte store whose fourth byte the next pixel overwrites.
  (func (export "rgba_to_rgb") (param $src i32) (param $n i32) (param $out i32)
    (local $last i32)
    (local.set $last (i32.add (local.get $src) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $last)))
        (i32.store (local.get $out) (i32.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 3)))
        (br $next)))
    (i32.store16 (local.get $out) (i32.load16_u (local.get $src)))
    (i32.store8 offset=2 (local.get $out) (i32.load8_u offset=2 (local.get $src))))

  ;; out[4i + k] = src[3i + k] for k < 3 and out[4i + 3] = 255, i < n (n >= 1). Every pixel
  ;; but the last is one 4-byte load (its fourth byte, the next pixel's, replaced by 255).
  (func (export "rgb_to_rgba") (param $src i32) (param $n i32) (param $out i32)
    (local $last i32)
    (local.set $last (i32.add (local.get $src) (i32.mul (i32.sub (local.get $n) (i32.const 1)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $last)))
        (i32.store (local.get $out) (i32.or (i32.load (local.get $src)) (i32.const 0xff000000)))
        (local.set $src (i32.add (local.get $src) (i32.const 3)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $next)))
    (i32.store
      (local.get $out)
      (i32.or
        (i32.or (i32.load16_u (local.get $src)) (i32.shl (i32.load8_u offset=2 (local.get $src)) (i32.const 16)))
        (i32.const 0xff000000))))
)
