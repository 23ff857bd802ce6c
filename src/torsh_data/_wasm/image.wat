;; Image kernels for torsh_data._wasm (NOTE [ WebAssembly kernels ] in __init__.py).
;; The memory is Pyodide's own: addresses are those of Python buffers, checked by the caller.
(module
  (import "env" "memory" (memory 0))

  ;; out[i] = table[src[i]] for i < n: 4-byte entries (float32 bits, copied as integers so
  ;; every bit pattern, NaN payloads included, arrives unchanged).
  (func (export "lookup4") (param $src i32) (param $n i32) (param $table i32) (param $out i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (local.get $n)))
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
)
