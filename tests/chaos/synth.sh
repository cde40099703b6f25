# synth.sh — a synthetic soak result for chaos_check's own tests (bash).
#
#   synth_world DIR N MUTATION    # writes DIR/{manifest,journal,state,progress,faults}
#                                 # and DIR/redis.resp (feed to redis-cli --pipe)
#
# N jobs j1..jN on cards 89440000000000<i> (one job per card), every 10th
# with por=none, every 25th invalid by construction (expect rejected). The
# clean world (MUTATION "none") is what a correct daemon leaves behind: one
# final state per job, hash and events agreeing, one packet per counter, the
# card showing each confirmed change, Redis counters at the cards' values,
# progress until the end. Each other MUTATION breaks exactly one invariant
# of tests/chaos/chaos_check.c on a few jobs:
#   lost twofinal mismatch cntr-reuse exec-twice cntr-regress no-effect
#   expect stall
# and three break nothing the checker must fail on:
#   reexec      one card runs its job twice with two counters (at-least-once)
#   stall-down  40 s without events while every daemon was down
#   stall-idle  40 s without events with nothing to do

synth_world() {
    local dir=$1 n=$2 mut=$3
    mkdir -p "$dir"
    awk -v n="$n" -v mut="$mut" -v dir="$dir" '
    function resp(a, k,   s, i) {
        s = "*" k "\r\n"
        for (i = 1; i <= k; i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"
        printf "%s", s > (dir "/redis.resp")
    }
    function ev(id, st,   a) {
        T += 3
        a[1] = "XADD"; a[2] = "ota:events"; a[3] = "*"; a[4] = "job"; a[5] = id
        a[6] = "state"; a[7] = st; a[8] = "detail"; a[9] = "synthetic"; a[10] = "ts"; a[11] = sprintf("%.0f", T)
        a[12] = "attempt"; a[13] = "1"
        resp(a, 13)
    }
    function hset(id, st, entry,   a) {
        a[1] = "HSET"; a[2] = "ota:job:" id; a[3] = "state"; a[4] = st
        a[5] = "entry"; a[6] = sprintf("%.0f-0", entry); a[7] = "attempt"; a[8] = "1"
        resp(a, 8)
    }
    function set(k, v,   a) { a[1] = "SET"; a[2] = k; a[3] = v; resp(a, 3) }
    function jl(iccid, cntr, rsc, exe) {
        printf "%.0f.%03d iccid=%s keyset=ks1 cntr=%d tar=b00011 rsc=%s executed=%d\n",
            int(T / 1000), T % 1000, iccid, cntr, rsc, exe > (dir "/journal")
    }
    BEGIN {
        T = 1700000000000
        t0 = T
        man = dir "/manifest"; st = dir "/state"
        printf "" > (dir "/redis.resp"); printf "" > (dir "/journal")
        print "# id\ticcid\tkeyset\tpor\texpect\tcheck_key\tcheck_value" > man
        for (i = 1; i <= n; i++) {
            id = "j" i
            iccid = sprintf("89440000000000%05d", i)
            imsi = sprintf("0010100000%05d", i)
            por = (i % 10 == 0) ? "none" : "always"
            bad = (i % 25 == 0)
            printf "%s\t%s\tks1\t%s\t%s\timsi\t%s\n", id, iccid, por,
                bad ? "rejected" : "ok", imsi > man
            entry = T
            if (bad) {
                fin = (mut == "expect" && i == 50) ? "confirmed" : "rejected"
                ev(id, fin); hset(id, fin, entry)
                printf "%s.imsi %s\n", iccid, (fin == "confirmed") ? imsi : "228062800000208" > st
                continue
            }
            ev(id, "received"); ev(id, "submitted")
            if (mut == "lost" && (i == 7 || i == 17)) { hset(id, "submitted", entry); continue }
            ev(id, "delivered")
            fin = (por == "none") ? "delivered" : "confirmed"
            if (fin == "confirmed") ev(id, "confirmed")
            if (mut == "twofinal" && i == 8) ev(id, "failed")
            hset(id, (mut == "mismatch" && i == 9) ? "submitted" : fin, entry)
            jl(iccid, 1, "00", 1)
            if (mut == "cntr-reuse" && i == 11) jl(iccid, 1, "02", 0)
            if (mut == "exec-twice" && i == 11) jl(iccid, 1, "00", 1)
            if (mut == "reexec" && i == 11) jl(iccid, 2, "00", 1)
            card = (mut == "reexec" && i == 11) ? 2 : 1
            printf "%s.imsi %s\n", iccid, (mut == "no-effect" && i == 13) ? "228062800000208" : imsi > st
            printf "%s.counter.ks1 %d\n", iccid, card > st
            set("ota:cntr:" iccid ":ks1", (mut == "cntr-regress" && i == 12) ? 0 : card)
        }
        # Progress: one sample a second, events growing while work waits.
        p = dir "/progress"
        printf "" > p
        s = int((T - t0) / 1000) + 1
        for (k = 0; k <= s; k++)
            printf "%.0f %d %d 1\n", t0 + k * 1000, k * 10, (k < s) ? 5 : 0 > p
        if (mut ~ /^stall/) {
            for (k = 1; k <= 40; k++)
                printf "%.0f %d %d %d\n", t0 + (s + k) * 1000, s * 10,
                    (mut == "stall-idle") ? 0 : 5, (mut == "stall-down") ? 0 : 1 > p
            printf "%.0f %d 0 1\n", t0 + (s + 41) * 1000, s * 10 + 1 > p
        }
        f = dir "/faults"
        printf "%.0f smsc-drop link 1\n%.0f daemon-kill pid 42\n%.0f smsc-drop link 2\n", t0, t0 + 1, t0 + 2 > f
    }'
}
