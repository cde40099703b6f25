#!/usr/bin/env bash
# security_keywipe.sh — keys are wiped from memory on exit.
#
# otagw runs under gdb with traffic on 3DES and AES keysets, gets SIGTERM,
# and a core is taken at its exit_group (after main's cleanup, heap still
# mapped); the core is searched for the binary value of every key of the
# keystore, live or in freed memory. Any hit fails. It caught the codec's
# cached cipher and CMAC contexts keeping the last AES key schedule (AES
# round key 0 is the key) until otagw's exit path called
# c348_thread_cleanup().
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/harness.sh
# The plain build, never the sanitizer one: gcore of an ASan process dumps
# its shadow memory (a 2.4 TB sparse core, 79 GB written, filled the disk
# of the shared machine and took minutes per grep). Key wiping is a
# property of the binary operators run.
OTAGW=$BUILD/otagw
. tests/chaos/mini.sh

mini_setup || { echo "not ok - setup"; exit 1; }
# 4. Keys wiped from memory on exit.
key_bytes() { # the binary key values, one per line as \xHH escapes
    sed -n 's/^ki[cd] = [a-z0-9]*:\([0-9a-f]*\)$/\1/p' "$M/keys.ini" |
        sed 's/../\\x&/g'
}
wiped_at_exit() {
    command -v gdb >/dev/null || { echo "gdb missing"; return 1; }
    rm -f "$TMP/core"*
    # Stop at exit_group: after main's cleanup, with the heap still mapped.
    gdb -q -batch -ex 'set pagination off' -ex 'handle SIGTERM nostop noprint pass' \
        -ex 'handle SIGPIPE nostop noprint pass' -ex 'catch syscall exit_group' -ex run \
        -ex "gcore $TMP/core" -ex kill \
        --args "$OTAGW" -c "$M/otagw.conf" >"$TMP/gdb.log" 2>&1 &
    local g=$! n=400
    until grep -q 'taking jobs' "$TMP/gdb.log" 2>/dev/null; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || { tail "$TMP/gdb.log"; kill $g; return 1; }
        sleep 0.05
    done
    mini_jobs 60 # traffic, so keys were used for ciphering and MACs
    sleep 2
    kill -TERM "$(pgrep -P $g)"
    wait $g
    [ -s "$TMP/core" ] || { echo "no core"; tail "$TMP/gdb.log"; return 1; }
    local k found=0
    while read -r k; do
        if LC_ALL=C grep -qaP "$k" "$TMP/core"; then
            echo "key bytes $k found in the core at exit"
            found=1
        fi
    done < <(key_bytes)
    # Control: the core is searchable (the config's Redis password, which is
    # no key material, is still in memory).
    LC_ALL=C grep -qaF "$MINI_REDIS_PASS" "$TMP/core" && echo "# (control: redis password still in the core)"
    [ "$found" -eq 0 ]
}
ok "keys wiped from memory at exit (gdb core at _exit)" wiped_at_exit

done_testing
