;; Padding kernel for torsh_data._wasm (NOTE [ WebAssembly kernels ] in __init__.py): rows of
;; token ids, read from their marshal (version 2) bytes, padded into int64 ids and a mask.
;; The memory is Pyodide's own: addresses are those of Python buffers, every size checked by
;; the caller (pad.py).
(module
  (import "env" "memory" (memory 0))

  ;; The arguments at $args: the marshal bytes (address, length), the count of rows, the
  ;; padded length, 1 to pad on the right (else on the left), the ids and mask outputs (each
  ;; rows * longest int64 cells) and, at offset 32, the int64 pad id.
  ;; The bytes must be a tuple or list ("(" or "[", an int32 count) of $rows tuples or lists
  ;; of at most $longest ints of marshal's TYPE_INT ("i", an int32, little-endian), and
  ;; nothing after them. Row r's ids go to cells r * longest ... at its start (right) or end
  ;; (left), the others get the pad id; the mask is 1 at the ids, 0 elsewhere. Returns $rows,
  ;; or -1 at anything else (another type, a longer row, bytes missing or left over): the
  ;; caller's pure path then runs and says what is wrong.
  (func (export "pad_rows") (param $args i32) (result i32)
    (local $p i32) (local $end i32) (local $rows i32) (local $longest i32) (local $right i32)
    (local $ids i32) (local $mask i32) (local $pad i64) (local $r i32) (local $t i32)
    (local $n i32) (local $cell i32) (local $start i32) (local $stop i32)
    (local $row i32)
    (local.set $p (i32.load (local.get $args)))
    (local.set $end (i32.add (local.get $p) (i32.load offset=4 (local.get $args))))
    (local.set $rows (i32.load offset=8 (local.get $args)))
    (local.set $longest (i32.load offset=12 (local.get $args)))
    (local.set $right (i32.load offset=16 (local.get $args)))
    (local.set $ids (i32.load offset=20 (local.get $args)))
    (local.set $mask (i32.load offset=24 (local.get $args)))
    (local.set $pad (i64.load offset=32 (local.get $args)))
    (local.set $row (i32.shl (local.get $longest) (i32.const 3)))
    ;; the batch: a tuple or list of $rows items
    (if (i32.lt_s (i32.sub (local.get $end) (local.get $p)) (i32.const 5))
      (then (return (i32.const -1))))
    (local.set $t (i32.load8_u (local.get $p)))
    (if (i32.and (i32.ne (local.get $t) (i32.const 0x28)) (i32.ne (local.get $t) (i32.const 0x5b)))
      (then (return (i32.const -1))))
    (if (i32.ne (i32.load offset=1 align=1 (local.get $p)) (local.get $rows))
      (then (return (i32.const -1))))
    (local.set $p (i32.add (local.get $p) (i32.const 5)))
    (block $done
      (loop $next_row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        ;; a row: a tuple or list of $n <= $longest items, all in the bytes left
        (if (i32.lt_s (i32.sub (local.get $end) (local.get $p)) (i32.const 5))
          (then (return (i32.const -1))))
        (local.set $t (i32.load8_u (local.get $p)))
        (if (i32.and (i32.ne (local.get $t) (i32.const 0x28))
                     (i32.ne (local.get $t) (i32.const 0x5b)))
          (then (return (i32.const -1))))
        (local.set $n (i32.load offset=1 align=1 (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 5)))
        (if (i32.gt_u (local.get $n) (local.get $longest)) (then (return (i32.const -1))))
        (if (i32.gt_u (local.get $n)
                      (i32.div_u (i32.sub (local.get $end) (local.get $p)) (i32.const 5)))
          (then (return (i32.const -1))))
        ;; the cells [start, stop) hold the ids, the others the pad
        (local.set $start
          (select (i32.const 0) (i32.sub (local.get $longest) (local.get $n)) (local.get $right)))
        (local.set $stop (i32.add (local.get $start) (local.get $n)))
        (local.set $cell (i32.const 0))
        (block $padded
          (loop $pad_cell
            (br_if $padded (i32.ge_u (local.get $cell) (local.get $longest)))
            (if (i32.eq (local.get $cell) (local.get $start))
              (then
                ;; the ids, each an "i" and an int32
                (block $copied
                  (loop $id
                    (br_if $copied (i32.ge_u (local.get $cell) (local.get $stop)))
                    (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x69))
                      (then (return (i32.const -1))))
                    (i64.store (i32.add (local.get $ids) (i32.shl (local.get $cell) (i32.const 3)))
                               (i64.load32_s offset=1 align=1 (local.get $p)))
                    (i64.store (i32.add (local.get $mask) (i32.shl (local.get $cell) (i32.const 3)))
                               (i64.const 1))
                    (local.set $p (i32.add (local.get $p) (i32.const 5)))
                    (local.set $cell (i32.add (local.get $cell) (i32.const 1)))
                    (br $id)))
                (br_if $padded (i32.ge_u (local.get $cell) (local.get $longest)))))
            (i64.store (i32.add (local.get $ids) (i32.shl (local.get $cell) (i32.const 3)))
                       (local.get $pad))
            (i64.store (i32.add (local.get $mask) (i32.shl (local.get $cell) (i32.const 3)))
                       (i64.const 0))
            (local.set $cell (i32.add (local.get $cell) (i32.const 1)))
            (br $pad_cell)))
        (local.set $ids (i32.add (local.get $ids) (local.get $row)))
        (local.set $mask (i32.add (local.get $mask) (local.get $row)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next_row)))
    (if (i32.ne (local.get $p) (local.get $end)) (then (return (i32.const -1))))
    (local.get $rows))
)
