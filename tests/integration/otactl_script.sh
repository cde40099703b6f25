#!/usr/bin/env bash
# otactl_script.sh — `otactl script` dry runs: exact script bytes, SM counts,
# field-named errors and exit statuses (0 sendable, 1 rejected, 2 bad input).
set -u
B=${BUILD:-build}/otactl
n=0
check() { # name, expected exit, grep pattern, command...
    local name=$1 want=$2 pat=$3
    shift 3
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    n=$((n + 1))
    if [ "$rc" -eq "$want" ] && grep -qF -- "$pat" <<<"$out"; then
        echo "ok - $name"
    else
        echo "not ok - $name (exit $rc, want $want; no '$pat')"
        echo "$out" | sed 's/^/#   /'
    fi
}
check "apdu job is byte for byte" 0 "script 00a40004023f00a0b0000009" \
    "$B" script apdu --tar b00011 --apdus 00a40004023f00,a0b0000009
check "fplmn on a 2G SIM" 0 "script a0a40000023f00a0a40000027f20a0a40000026f7ba0d600000c32f45162f210ffffffffffff" \
    "$B" script config --class sim --file fplmn --value 23415,26201
check "one SM" 0 "1 SM, limit 5" "$B" script config --file fplmn --value 23415
check "too many SMs rejected with the count" 1 "in 2 SMs, the card profile allows 1" \
    "$B" script config --file oplmnwact --max-sms 1 \
    --value "23415,26201,20801,20810,21401,22210,23801,24001,24201,24405;size=200"
check "imsi with a letter names the field" 2 "imsi: 'X' at position 15" \
    "$B" script switch --method imsi --imsi 22806280000020X
check "unknown file names the field" 2 "file: unknown file 'fplnm'" \
    "$B" script config --file fplnm --value 23415
check "applet not configured" 2 "applet: profile 'nope' is not configured" \
    "$B" script switch --method applet --applet nope --applet-conf conf/applets.example.conf --slot 1
check "example applet slot" 0 "script 80c2020000" \
    "$B" script switch --method applet --applet example-slot --applet-conf conf/applets.example.conf --slot 2
check "applet security enforced" 1 "kic: 25, the target demands 15" \
    "$B" script switch --method applet --applet example-slot --applet-conf conf/applets.example.conf --slot 2 --kic 25
check "profile enable is provisional" 0 "result provisional" \
    "$B" script switch --method profile --aid A0000005591010FFFFFFFF8900001100 --response ab0780010123029000
check "profile fallback: STORE DATA 3A05" 0 "script aa1c221a80e28800153a05124f10a0000005591010ffffffff8900001200" \
    "$B" script switch --method profile --action fallback --aid A0000005591010FFFFFFFF8900001200
check "profile fallback result is final" 0 "result ok" \
    "$B" script switch --method profile --action fallback --aid A0000005591010FFFFFFFF8900001200 --response ab0780010123029000
check "PoR failure decoded" 1 "EF_FPLMN: security status not satisfied (6982), command 4 of 4" \
    "$B" script config --file fplmn --value 23415 --response 046982
check "readback decoded" 0 "readback EF_IMSI: 228062800000208" \
    "$B" script switch --method imsi --class sim --imsi 228062800000208 --readback --response 099000082982608200002080
