;; Text kernels for torsh_data._wasm (NOTE [ WebAssembly kernels ] in __init__.py): torchtext's
;; basic_english tokens of ASCII lines, looked up in a vocabulary, in one pass over the bytes.
;; The memory is Pyodide's own: addresses are those of Python buffers, every size checked by
;; the caller (text.py).
(module
  (import "env" "memory" (memory 0))

  ;; FNV-1a of the $n bytes at $p, its high half folded into the low bits (the slot index).
  (func $hash (param $p i32) (param $n i32) (result i32)
    (local $h i32) (local $end i32)
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $p)))
                               (i32.const 16777619)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))

  ;; 1 when the $n bytes at $a and at $b are equal
  (func $equal (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $a) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (if (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b)))
          (then (return (i32.const 0))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; The vocabulary table: $mask + 1 (a power of two) slots of 16 bytes, open addressing with
  ;; linear probing: hash, offset of the token in the pool, its length (0: an empty slot) and
  ;; its index. Inserts the $count tokens laid end to end at $pool, lengths (int32, none 0) at
  ;; $lens and indices (int32) at $ids; the table must have more slots than tokens, all empty.
  (func (export "insert") (param $table i32) (param $mask i32) (param $pool i32)
                          (param $lens i32) (param $ids i32) (param $count i32)
    (local $j i32) (local $off i32) (local $n i32) (local $h i32) (local $slot i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $n (i32.load (i32.add (local.get $lens) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $h (call $hash (i32.add (local.get $pool) (local.get $off)) (local.get $n)))
        (local.set $slot (i32.and (local.get $h) (local.get $mask)))
        (loop $probe
          (if (i32.load offset=8 (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 4))))
            (then
              (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
              (br $probe))))
        (local.set $slot (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 4))))
        (i32.store (local.get $slot) (local.get $h))
        (i32.store offset=4 (local.get $slot) (local.get $off))
        (i32.store offset=8 (local.get $slot) (local.get $n))
        (i32.store offset=12 (local.get $slot)
                   (i32.load (i32.add (local.get $ids) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $off (i32.add (local.get $off) (local.get $n)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  ;; The index of the $n-byte token at $p ($n > 0), or -1 when it is not in the table.
  (func $find (param $table i32) (param $mask i32) (param $pool i32) (param $p i32) (param $n i32)
              (result i32)
    (local $h i32) (local $i i32) (local $slot i32) (local $len i32)
    (local.set $h (call $hash (local.get $p) (local.get $n)))
    (local.set $i (i32.and (local.get $h) (local.get $mask)))
    (loop $probe
      (local.set $slot (i32.add (local.get $table) (i32.shl (local.get $i) (i32.const 4))))
      (local.set $len (i32.load offset=8 (local.get $slot)))
      (if (i32.eqz (local.get $len)) (then (return (i32.const -1))))
      (if (i32.and (i32.eq (i32.load (local.get $slot)) (local.get $h))
                   (i32.eq (local.get $len) (local.get $n)))
        (then
          (if (call $equal (i32.add (local.get $pool) (i32.load offset=4 (local.get $slot)))
                           (local.get $p) (local.get $n))
            (then (return (i32.load offset=12 (local.get $slot)))))))
      (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (local.get $mask)))
      (br $probe))
    (i32.const -1))

  ;; Where "<br />" (after a '<' at $i - 1) ends, '"' skipped and B, R in either case, or 0
  ;; where it does not follow: torchtext deletes '"' before it replaces "<br />", after it
  ;; lowercases the text.
  (func $after_br (param $i i32) (param $end i32) (result i32)
    (local $k i32) (local $c i32)
    (loop $next
      (if (i32.eq (local.get $k) (i32.const 5)) (then (return (local.get $i))))
      (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (i32.const 0))))
      (local.set $c (i32.load8_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.eq (local.get $c) (i32.const 34)))
      (if (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26))
        (then (local.set $c (i32.or (local.get $c) (i32.const 32)))))
      ;; the bytes of "br />", lowest first
      (if (i32.ne (local.get $c)
                  (i32.and (i32.wrap_i64 (i64.shr_u (i64.const 0x3e2f207262)
                                                    (i64.extend_i32_u (i32.shl (local.get $k) (i32.const 3)))))
                           (i32.const 255)))
        (then (return (i32.const 0))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next))
    (i32.const 0))

  ;; The ids of basic_english's tokens of NUL-separated ASCII lines. $args points at eleven
  ;; int32s: the lines' bytes and their count, the table, its mask and its pool (see insert),
  ;; the most ids kept per line (the rest are not looked up), the index of unknown tokens (-1:
  ;; none), where the ids go (int64, room for one per byte), where the lines' id counts go
  ;; (int32, -1 for a line holding a byte >= 128, whose ids are not written), how many lines
  ;; there is room for, and a scratch of one byte per line byte (a token's lowered bytes).
  ;; Returns the number of ids written, -1 at an unknown token with no index for it (the
  ;; caller's own path raises the error), -2 when there are more lines than room.
  (func (export "encode_lines") (param $args i32) (result i32)
    (local $i i32) (local $end i32) (local $table i32) (local $mask i32) (local $pool i32)
    (local $keep i32) (local $unk i32) (local $out i32) (local $lens i32) (local $room i32)
    (local $tmp i32) (local $w i32) (local $start i32) (local $line i32) (local $count i32)
    (local $tl i32) (local $c i32) (local $bad i32) (local $id i32) (local $after i32)
    (local $single i32)
    (local.set $i (i32.load (local.get $args)))
    (local.set $end (i32.add (local.get $i) (i32.load offset=4 (local.get $args))))
    (local.set $table (i32.load offset=8 (local.get $args)))
    (local.set $mask (i32.load offset=12 (local.get $args)))
    (local.set $pool (i32.load offset=16 (local.get $args)))
    (local.set $keep (i32.load offset=20 (local.get $args)))
    (local.set $unk (i32.load offset=24 (local.get $args)))
    (local.set $out (i32.load offset=28 (local.get $args)))
    (local.set $lens (i32.load offset=32 (local.get $args)))
    (local.set $room (i32.load offset=36 (local.get $args)))
    (local.set $tmp (i32.load offset=40 (local.get $args)))
    (local.set $w (local.get $out))
    (local.set $start (local.get $out))
    (loop $char
      ;; the end of the bytes ends the last line as a NUL would
      (local.set $c (i32.const 0))
      (if (i32.lt_u (local.get $i) (local.get $end))
        (then (local.set $c (i32.load8_u (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $single (i32.const 0))
      (block $flush
        (block $word
          ;; letters and digits: the common case, one test each
          (local.set $c
            (select (i32.or (local.get $c) (i32.const 32)) (local.get $c)
                    (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26))))
          (br_if $word (i32.lt_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 26)))
          (br_if $word (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)))
          (br_if $flush (i32.eqz (local.get $c)))
          (if (local.get $bad) (then (br $char)))
          (if (i32.ge_u (local.get $c) (i32.const 128))
            (then
              (local.set $bad (i32.const 1))
              (local.set $tl (i32.const 0))
              (br $char)))
          (br_if $char (i32.eq (local.get $c) (i32.const 34)))  ;; '"' is deleted
          ;; whitespace as str.split() sees it: \t \n \v \f \r, \x1c-\x1f, space; and ; :
          (br_if $flush (i32.lt_u (i32.sub (local.get $c) (i32.const 9)) (i32.const 5)))
          (br_if $flush (i32.lt_u (i32.sub (local.get $c) (i32.const 28)) (i32.const 5)))
          (br_if $flush (i32.eq (local.get $c) (i32.const 59)))
          (br_if $flush (i32.eq (local.get $c) (i32.const 58)))
          (if (i32.eq (local.get $c) (i32.const 60))  ;; '<': "<br />" is a space
            (then
              (local.set $after (call $after_br (local.get $i) (local.get $end)))
              (if (local.get $after)
                (then
                  (local.set $i (local.get $after))
                  (br $flush)))
              (br $word)))
          ;; ' . , ( ) ! ? are tokens of their own
          (local.set $single
            (i32.or
              (i32.or (i32.or (i32.eq (local.get $c) (i32.const 39)) (i32.eq (local.get $c) (i32.const 46)))
                      (i32.or (i32.eq (local.get $c) (i32.const 44)) (i32.eq (local.get $c) (i32.const 40))))
              (i32.or (i32.or (i32.eq (local.get $c) (i32.const 41)) (i32.eq (local.get $c) (i32.const 33)))
                      (i32.eq (local.get $c) (i32.const 63)))))
          (br_if $flush (local.get $single)))
        ;; a byte of a word
        (if (i32.eqz (local.get $bad))
          (then
            (i32.store8 (i32.add (local.get $tmp) (local.get $tl)) (local.get $c))
            (local.set $tl (i32.add (local.get $tl) (i32.const 1)))))
        (br $char))
      ;; the word so far ends here (then the single-byte token, or the line, if any)
      (if (local.get $bad) (then (local.set $tl (i32.const 0))))
      (loop $emit
        (if (local.get $tl)
          (then
            (if (i32.lt_u (local.get $count) (local.get $keep))
              (then
                (local.set $id (call $find (local.get $table) (local.get $mask) (local.get $pool)
                                           (local.get $tmp) (local.get $tl)))
                (if (i32.lt_s (local.get $id) (i32.const 0))
                  (then
                    (if (i32.lt_s (local.get $unk) (i32.const 0)) (then (return (i32.const -1))))
                    (local.set $id (local.get $unk))))
                (i64.store (local.get $w) (i64.extend_i32_s (local.get $id)))
                (local.set $w (i32.add (local.get $w) (i32.const 8)))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))))
            (local.set $tl (i32.const 0))))
        (if (local.get $single)
          (then
            (i32.store8 (local.get $tmp) (local.get $c))
            (local.set $tl (i32.const 1))
            (local.set $single (i32.const 0))
            (br $emit))))
      (if (i32.eqz (local.get $c))
        (then
          (if (i32.ge_u (local.get $line) (local.get $room)) (then (return (i32.const -2))))
          (if (local.get $bad)
            (then
              (local.set $w (local.get $start))
              (local.set $count (i32.const -1))))
          (i32.store (i32.add (local.get $lens) (i32.shl (local.get $line) (i32.const 2)))
                     (local.get $count))
          (local.set $line (i32.add (local.get $line) (i32.const 1)))
          (local.set $start (local.get $w))
          (local.set $count (i32.const 0))
          (local.set $bad (i32.const 0))
          (br_if $char (i32.le_u (local.get $i) (local.get $end)))))
      (br_if $char (i32.le_u (local.get $i) (local.get $end))))
    (i32.shr_u (i32.sub (local.get $w) (local.get $out)) (i32.const 3)))
)
