;; Sorting and gathering kernels for torsh_data._wasm (NOTE [ WebAssembly kernels ] in
;; __init__.py). The memory is Pyodide's own: addresses are those of Python buffers, every
;; size checked by the caller (sort.py).
(module
  (import "env" "memory" (memory 0))

  ;; out[0..n) = the indices of the n uint64 keys at $keys in ascending key order, equal keys
  ;; in index order: sorted(range(n), key=keys.__getitem__). A least-significant-digit radix
  ;; sort, six digits of 11 bits; each pass is stable, so the index order of equal keys
  ;; survives every pass. A digit that is the same in every key is skipped (no reordering).
  ;; $scratch holds 6 * 2048 uint32 counts (49,152 bytes), two key buffers of 8n bytes and an
  ;; index buffer of 4n bytes; the passes alternate so that the last one writes $out.
  (func (export "argsort_u64") (param $keys i32) (param $n i32) (param $out i32) (param $scratch i32)
    (local $counts i32) (local $ka i32) (local $kb i32) (local $ib i32)
    (local $p i32) (local $active i32) (local $passes i32) (local $done i32)
    (local $srck i32) (local $srci i32) (local $dstk i32) (local $dsti i32) (local $i i32)
    (local.set $counts (local.get $scratch))
    (local.set $ka (i32.add (local.get $counts) (i32.const 49152)))
    (local.set $kb (i32.add (local.get $ka) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $ib (i32.add (local.get $kb) (i32.shl (local.get $n) (i32.const 3))))
    (memory.fill (local.get $counts) (i32.const 0) (i32.const 49152))
    (call $histogram (local.get $keys) (local.get $n) (local.get $counts))
    ;; counts -> starting offsets; a pass is active unless one digit holds all n keys
    (local.set $p (i32.const 0))
    (loop $each_pass
      (if (call $offsets (i32.add (local.get $counts) (i32.mul (local.get $p) (i32.const 8192)))
                         (local.get $n))
        (then
          (local.set $active (i32.or (local.get $active) (i32.shl (i32.const 1) (local.get $p))))
          (local.set $passes (i32.add (local.get $passes) (i32.const 1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $each_pass (i32.lt_u (local.get $p) (i32.const 6))))
    (if (i32.eqz (local.get $passes))
      (then
        (local.set $i (i32.const 0))
        (block $end
          (loop $iota
            (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
                       (local.get $i))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iota)))
        (return)))
    (local.set $srck (local.get $keys))
    (local.set $srci (i32.const 0))
    (local.set $p (i32.const 0))
    (loop $each_active
      (if (i32.and (local.get $active) (i32.shl (i32.const 1) (local.get $p)))
        (then
          ;; the passes still to come after this one decide where it writes
          (local.set $dsti
            (select (local.get $ib) (local.get $out)
                    (i32.and (i32.sub (i32.sub (local.get $passes) (local.get $done)) (i32.const 1))
                             (i32.const 1))))
          (local.set $dstk (select (local.get $kb) (local.get $ka) (i32.and (local.get $done) (i32.const 1))))
          (call $pass
            (local.get $srck) (local.get $srci) (local.get $dstk) (local.get $dsti) (local.get $n)
            (i32.add (local.get $counts) (i32.mul (local.get $p) (i32.const 8192)))
            (i64.extend_i32_u (i32.mul (local.get $p) (i32.const 11)))
            (i32.eq (i32.add (local.get $done) (i32.const 1)) (local.get $passes)))
          (local.set $srck (local.get $dstk))
          (local.set $srci (local.get $dsti))
          (local.set $done (i32.add (local.get $done) (i32.const 1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $each_active (i32.lt_u (local.get $p) (i32.const 6)))))

  ;; counts[p * 2048 + digit p of key] += 1 for every key and each of the six digits
  (func $histogram (param $keys i32) (param $n i32) (param $counts i32)
    (local $end i32) (local $key i64)
    (local.set $end (i32.add (local.get $keys) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $keys) (local.get $end)))
        (local.set $key (i64.load (local.get $keys)))
        (call $bump (local.get $counts) (local.get $key))
        (call $bump (i32.add (local.get $counts) (i32.const 8192))
              (i64.shr_u (local.get $key) (i64.const 11)))
        (call $bump (i32.add (local.get $counts) (i32.const 16384))
              (i64.shr_u (local.get $key) (i64.const 22)))
        (call $bump (i32.add (local.get $counts) (i32.const 24576))
              (i64.shr_u (local.get $key) (i64.const 33)))
        (call $bump (i32.add (local.get $counts) (i32.const 32768))
              (i64.shr_u (local.get $key) (i64.const 44)))
        (call $bump (i32.add (local.get $counts) (i32.const 40960))
              (i64.shr_u (local.get $key) (i64.const 55)))
        (local.set $keys (i32.add (local.get $keys) (i32.const 8)))
        (br $next))))

  ;; counts[low 11 bits of digit] += 1
  (func $bump (param $counts i32) (param $digit i64)
    (local $slot i32)
    (local.set $slot
      (i32.add (local.get $counts)
               (i32.shl (i32.and (i32.wrap_i64 (local.get $digit)) (i32.const 2047)) (i32.const 2))))
    (i32.store (local.get $slot) (i32.add (i32.load (local.get $slot)) (i32.const 1))))

  ;; The 2048 counts at $counts become exclusive prefix sums (where each digit's keys start);
  ;; returns 0 when one digit holds all n keys (the pass would not move anything), else 1.
  (func $offsets (param $counts i32) (param $n i32) (result i32)
    (local $end i32) (local $sum i32) (local $c i32) (local $moves i32)
    (local.set $end (i32.add (local.get $counts) (i32.const 8192)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $counts) (local.get $end)))
        (local.set $c (i32.load (local.get $counts)))
        (if (i32.and (i32.ne (local.get $c) (i32.const 0)) (i32.ne (local.get $c) (local.get $n)))
          (then (local.set $moves (i32.const 1))))
        (i32.store (local.get $counts) (local.get $sum))
        (local.set $sum (i32.add (local.get $sum) (local.get $c)))
        (local.set $counts (i32.add (local.get $counts) (i32.const 4)))
        (br $next)))
    (local.get $moves))

  ;; One stable counting pass on the digit at $shift: key i (with its index: i itself on the
  ;; first pass, where $srci is 0) goes to the next free place of its digit. The last pass
  ;; writes only the indices.
  (func $pass (param $srck i32) (param $srci i32) (param $dstk i32) (param $dsti i32)
              (param $n i32) (param $counts i32) (param $shift i64) (param $last i32)
    (local $i i32) (local $key i64) (local $slot i32) (local $pos i32) (local $index i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $key (i64.load (i32.add (local.get $srck) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $slot
          (i32.add (local.get $counts)
                   (i32.shl (i32.and (i32.wrap_i64 (i64.shr_u (local.get $key) (local.get $shift)))
                                     (i32.const 2047))
                            (i32.const 2))))
        (local.set $pos (i32.load (local.get $slot)))
        (i32.store (local.get $slot) (i32.add (local.get $pos) (i32.const 1)))
        (local.set $index (local.get $i))
        (if (local.get $srci)
          (then
            (local.set $index
              (i32.load (i32.add (local.get $srci) (i32.shl (local.get $i) (i32.const 2)))))))
        (if (i32.eqz (local.get $last))
          (then
            (i64.store (i32.add (local.get $dstk) (i32.shl (local.get $pos) (i32.const 3)))
                       (local.get $key))))
        (i32.store (i32.add (local.get $dsti) (i32.shl (local.get $pos) (i32.const 2)))
                   (local.get $index))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
)
