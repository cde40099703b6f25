#!/bin/bash
# demo.sh — `make demo`: the gateway's main job end to end on the embedded
# defaults of conf/demo/, on this machine only, in well under a minute.
#
# Starts a private redis-server, otasim (three fictional carriers' SMSCs on
# free local ports, with the simulated SIM cards of conf/demo/cards.ini
# behind them) and the real otagw with conf/demo/otagw.conf.in; registers
# the cards, enqueues conf/demo/jobs (IMSI switches in Brazil and India
# through their local carriers, PLMN-list updates in Germany, an eUICC
# profile enable in the UK, a multi-IMSI applet slot switch in the US, a
# Chinese job the local-only policy must reject), shows progress, then the
# per-job outcome, the cards' new state (otasim's dump, before -> after),
# and `otactl report --by country,carrier`. Stops otagw (SIGTERM, drain)
# and everything else on exit or ^C (harness.sh's trap).
#
# Exit status 0 only when every job ended in its expected state, every
# check of conf/demo/jobs held on the card, and otagw drained and exited 0.
#
#   make demo                      (builds first)
#   bash tests/demo.sh             (build/ already built)
#   DEMO_DIR=my-fleet bash tests/demo.sh   a fleet of one's own (docs/demo.md)
#   KEEP_TMP=1 bash tests/demo.sh  keep the logs (otagw.log, otasim.log, ...)
# Environment: DEMO_RECEIPT_MS (default 400), DEMO_POR_MS (default 900): the
# simulated network's receipt and SIM answer delays; DEMO_TIMEOUT (30 s).

set -u
cd "$(dirname "$0")/.." || exit 1
DEMO_DIR=${DEMO_DIR:-conf/demo}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-30}
T0=$(date +%s%3N)

for f in otagw.conf.in keystore.ini cards.ini accounts jobs; do
    [ -r "$DEMO_DIR/$f" ] || { echo "demo: $DEMO_DIR/$f is missing" >&2; exit 2; }
done
for p in redis-server redis-cli; do
    command -v $p >/dev/null || { echo "demo: $p not found (apt-get install redis-server)" >&2; exit 2; }
done

. tests/lib/harness.sh
OTACTL=${OTACTL:-$BUILD/otactl}
for p in "$BUILD/otagw" "$BUILD/otasim" "$OTACTL"; do
    [ -x "$p" ] || { echo "demo: $p is not built (run make demo)" >&2; exit 2; }
done
E2E_KEYSTORE=$DEMO_DIR/keystore.ini
E2E_CARDS=$DEMO_DIR/cards.ini
E2E_SIM_ACCOUNTS=$DEMO_DIR/accounts
E2E_CONF_TEMPLATE=$DEMO_DIR/otagw.conf.in
E2E_SIM_ARGS="--receipt-delay-ms ${DEMO_RECEIPT_MS:-400} --por-delay-ms ${DEMO_POR_MS:-900}"
. tests/lib/e2e.sh
# ^C: say so; harness.sh's EXIT trap stops what was started.
trap 'echo; echo "demo: interrupted; stopping redis-server, otasim and otagw"; exit 130' INT
trap 'echo; echo "demo: terminated; stopping redis-server, otasim and otagw"; exit 143' TERM

# Colours and in-place refresh only on a terminal.
if [ -t 1 ]; then
    TTY=1 B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' D=$'\e[2m' N=$'\e[0m'
else
    TTY="" B="" G="" R="" D="" N=""
fi
FAILS=()
fail() { FAILS+=("$*"); }
ms_since() { echo $(($(date +%s%3N) - $1)); }
secs() { # milliseconds -> "1.23s" / "45ms"
    if [ "$1" -ge 1000 ]; then printf '%d.%02ds' $(($1 / 1000)) $(($1 % 1000 / 10)); else printf '%dms' "$1"; fi
}
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }

# ---------------------------------------------------------------- the jobs
JOB_IDS=() declare -A J_EXPECT=() J_CHECKS=() J_FIELDS=() J_ICCID=() J_MSISDN=()
while IFS='|' read -r id expect checks fields; do
    id=$(trim "$id")
    case "$id" in '' | '#'*) continue ;; esac
    JOB_IDS+=("$id")
    J_EXPECT[$id]=$(trim "$expect")
    J_CHECKS[$id]=$(trim "$checks")
    J_FIELDS[$id]=$(trim "$fields")
    J_ICCID[$id]=$(awk '{ for (i = 1; i < NF; i += 2) if ($i == "iccid") print $(i + 1) }' <<<"$fields")
    J_MSISDN[$id]=$(awk '{ for (i = 1; i < NF; i += 2) if ($i == "msisdn") print $(i + 1) }' <<<"$fields")
done <"$DEMO_DIR/jobs"
NJOBS=${#JOB_IDS[@]}
CARDS=($(awk '/^\[card /{ sub(/\].*/, "", $2); print $2 }' "$DEMO_DIR/cards.ini"))

# ---------------------------------------------------------------- start
if ! e2e_start >"$TMP/start.out" 2>&1; then
    echo "demo: could not start redis-server, otasim and otagw:"
    cat "$TMP/start.out"
    exit 1
fi
e2e_cards_register_file "$E2E/cards.ini"
START_MS=$(ms_since "$T0")

echo "${B}otagw demo${N}: ${#CARDS[@]} SIM cards, $NJOBS OTA jobs, ${#E2E_SIM_PORTS[@]} carriers, all on this machine"
echo
printf '  %-12s %s\n' "redis-server" "127.0.0.1:$REDIS_PORT (private, empty; jobs on ota:jobs, events on ota:events)"
for name in $(awk '!/^#/ && NF { print $1 }' "$E2E_SIM_ACCOUNTS"); do
    cc=$(awk -v c="[carrier $name]" '$0 == c { f = 1; next } /^\[/ { f = 0 } f && $1 == "countries" { print $3 }' "$E2E_CONF")
    printf '  %-12s %s\n' "otasim" "carrier $name SMSC on 127.0.0.1:${E2E_SIM_PORTS[$name]} (SMPP 3.4)${cc:+, home network of $cc}"
done
printf '  %-12s %s\n' "" "the ${#CARDS[@]} simulated SIMs of $DEMO_DIR/cards.ini; control port 127.0.0.1:$SIM_CTL"
printf '  %-12s %s\n' "otagw" "$OTAGW -c $E2E_CONF (pid $OTAGW_PID)"
printf '  %-12s %s\n' "" "from $DEMO_DIR/otagw.conf.in; keystore $DEMO_DIR/keystore.ini (test keys)"
policy=$(awk '/^\[policy\]/{ f = 1; next } /^\[/{ f = 0 } f && /local-only/ { printf "%s%s", s, $1; s = ", " }' "$E2E_CONF")
printf '  %-12s %s\n' "policy" "local carrier only for $policy; everything else via [route] default"
echo "  ${D}started in $(secs "$START_MS"); logs in $TMP (KEEP_TMP=1 keeps them)${N}"

# What the first job puts on the wire (a dry run of the same ota/ code).
first=${JOB_IDS[0]}
read -r -a ff <<<"${J_FIELDS[$first]}"
args=()
for ((i = 0; i + 1 < ${#ff[@]}; i += 2)); do
    case ${ff[i]} in
    type) kind=${ff[i + 1]} ;;
    method | imsi | slot | aid | action | file | value | tar | apdus) args+=("--${ff[i]}" "${ff[i + 1]}") ;;
    esac
done
ks=$(RCLI HGET "ota:card:${J_ICCID[$first]}" keyset)
read -r spi kic kid < <(awk -v k="[keyset $ks]" '
    $0 == k { f = 1; next } /^\[/ { f = 0 }
    f && $1 == "spi" { spi = $3 } f && $1 == "kic" { split($3, a, ":"); kic = a[1] }
    f && $1 == "kic_kvn" { kv = $3 } f && $1 == "kid" { split($3, b, ":"); kid = b[1] } f && $1 == "kid_kvn" { dv = $3 }
    function oct(alg, kvn) { return sprintf("%x%s", kvn, alg ~ /^aes/ ? "2" : alg == "des" ? "1" : alg == "3des3" ? "9" : "5") }
    END { print spi, oct(kic, kv), oct(kid, dv) }' "$E2E/keys.ini")
echo
echo "${B}Job $first on the wire${N} (otactl script: the same ota/ code, dry run; keyset $ks)"
"$OTACTL" script "$kind" --class "$(RCLI HGET "ota:card:${J_ICCID[$first]}" class)" "${args[@]}" \
    --spi "$spi" --kic "$kic" --kid "$kid" 2>&1 | grep -v '^script ' | sed 's/^/  /'

# ---------------------------------------------------------------- run
e2e_sim_ctl dump >"$TMP/before.dump"
T_ENQ=$(date +%s%3N)
for id in "${JOB_IDS[@]}"; do
    # shellcheck disable=SC2086
    e2e_job id "$id" tag demo ${J_FIELDS[$id]} >/dev/null || fail "$id: XADD refused"
done
echo
echo "${B}Running${N}: $NJOBS jobs enqueued on ota:jobs"

FINAL=" confirmed rejected failed expired "
progress() {
    local -A n=()
    local st done=0 line order="received submitted delivered confirmed rejected failed expired"
    while read -r st; do
        n[${st:-queued}]=$((${n[${st:-queued}]:-0} + 1))
        case "$FINAL" in *" $st "*) done=$((done + 1)) ;; esac
    done < <(for id in "${JOB_IDS[@]}"; do echo "HGET ota:job:$id state"; done | RCLI)
    line="$(secs "$(ms_since "$T_ENQ")") $done/$NJOBS done"
    for st in queued $order; do
        [ "${n[$st]:-0}" -gt 0 ] && line="$line  $st ${n[$st]}"
    done
    PROGRESS=$line
    DONE=$done
}
last_print=0
while :; do
    progress
    now=$(date +%s%3N)
    if [ "$TTY" ]; then
        printf '\r\e[K  %s' "$PROGRESS"
    elif [ "$DONE" = "$NJOBS" ] || [ $((now - last_print)) -ge 1000 ]; then
        echo "  $PROGRESS"
        last_print=$now
    fi
    [ "$DONE" = "$NJOBS" ] && break
    if [ $((now - T_ENQ)) -ge $((DEMO_TIMEOUT * 1000)) ]; then
        [ "$TTY" ] && echo
        echo "  ${R}timeout: not every job ended within ${DEMO_TIMEOUT}s${N}"
        fail "timeout after ${DEMO_TIMEOUT}s: $PROGRESS"
        break
    fi
    sleep 0.2
done
[ "$TTY" ] && echo
RUN_MS=$(ms_since "$T_ENQ")
e2e_sim_ctl dump >"$TMP/after.dump"

# ---------------------------------------------------------------- jobs
# dump_field FILE ICCID FIELD
dump_field() { awk -v k="$2.$3" '$1 == k { print $2 }' "$1"; }

echo
echo "${B}Jobs${N} (ota:job:<id> in Redis)"
fmt='  %-14s %-3s %-10s %-17s %-4s %-10s %7s  %s\n'
# shellcheck disable=SC2059
printf "$fmt" JOB CC CARRIER WHAT SMS STATE TIME DETAIL
for id in "${JOB_IDS[@]}"; do
    declare -A h=()
    while IFS= read -r k && IFS= read -r v; do h[$k]=$v; done < <(RCLI HGETALL "ota:job:$id")
    st=${h[state]:-?}
    what="${h[type]:-?} ${h[method]:-${h[file]:-}}"
    [ "${h[type]:-}" = apdu ] && what="apdu ${h[tar]:-}"
    t="-"
    [ "${h[updated]:-}" ] && [ "${h[created]:-}" ] && t=$(secs $((h[updated] - h[created])))
    mark=$G
    if [ "$st" != "${J_EXPECT[$id]}" ]; then
        mark=$R
        fail "$id: ended '$st', expected '${J_EXPECT[$id]}' (${h[detail]:-no detail})"
    fi
    # shellcheck disable=SC2059
    printf "$fmt" "$id" "${h[route_country]:--}" "${h[route_carrier]:--}" "$what" "${h[segments]:--}" \
        "$mark$st$N" "$t" "${h[detail]:-}"
    for c in ${J_CHECKS[$id]}; do
        case $c in
        detail~*)
            want=${c#detail~}
            want=${want//_/ }
            [[ "${h[detail]:-}" == *"$want"* ]] || fail "$id: detail '${h[detail]:-}' does not say '$want'"
            ;;
        *=*)
            got=$(dump_field "$TMP/after.dump" "${J_ICCID[$id]}" "${c%%=*}")
            [ "$got" = "${c#*=}" ] || fail "$id: card ${J_ICCID[$id]} ${c%%=*} is '$got', expected '${c#*=}'"
            ;;
        *) fail "$id: unknown check '$c' in $DEMO_DIR/jobs" ;;
        esac
    done
    unset h
done

echo
echo "${B}History of $first${N} (its entries in ota:events)"
RCLI eval "local out = {}
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local v = {}
  for i = 1, #e[2], 2 do v[e[2][i]] = e[2][i + 1] end
  if v.job == ARGV[1] then
    out[#out + 1] = v.ts .. ' ' .. v.state .. ' #' .. (v.attempt or '0') .. ' ' .. v.detail
  end
end
return out" 1 ota:events "$first" | awk -v t0="$T_ENQ" 'NF {
    ms = $1 - t0; $1 = ""; printf "  %+7.3fs %s\n", ms / 1000, substr($0, 2) }'

# ---------------------------------------------------------------- cards
# ef_show NAME HEX: the EF's content decoded by ota/'s own decoder, through
# otactl script's read-back decoding (compact response: 5 commands, 9000,
# the data); the hex when it will not decode.
ef_show() {
    local v
    v=$("$OTACTL" script config --file "$1" --value 00101 --readback --response "059000$2" 2>/dev/null |
        sed -n 's/^readback [^:]*: //p')
    [ -z "$v" ] && [ "$2" != "${2//[^f]/}" ] && v=$2
    echo "${v:-(empty)}"
}
# FID -> the EF's name, and the `file=` name ota/ decodes it by (none: the
# location files, which an IMSI switch invalidates).
declare -A EF_LABEL=([6f60]=EF_PLMNwAcT [6f61]=EF_OPLMNwAcT [6f62]=EF_HPLMNwAcT [6f7b]=EF_FPLMN
    [6f78]=EF_ACC [6f42]=EF_SMSP [6f7e]=EF_LOCI [6f73]=EF_PSLOCI [6fe3]=EF_EPSLOCI [6f53]=EF_LOCIGPRS)
declare -A EF_DEC=([6f60]=plmnwact [6f61]=oplmnwact [6f62]=hplmnwact [6f7b]=fplmn [6f78]=acc [6f42]=smsp)
echo
echo "${B}Cards${N} (otasim's state dump, before -> after)"
printf '  %-20s %-15s %s\n' ICCID MSISDN CHANGE
for iccid in "${CARDS[@]}"; do
    ch=() inval=()
    while read -r key old new; do
        f=${key#"$iccid".}
        fid=${f#ef.}
        case $f in
        imsi) ch+=("IMSI $old -> $new") ;;
        active_slot) ch+=("applet slot $old -> $new") ;;
        profile) ch+=("enabled profile ${old:0:10}..${old: -8} -> ${new:0:10}..${new: -8}") ;;
        fallback) ch+=("fall-back profile $old -> $new") ;;
        ef.6f07) ;; # EF_IMSI: shown decoded as IMSI
        ef.*)
            if [ "${EF_DEC[$fid]:-}" ]; then
                ch+=("${EF_LABEL[$fid]} $(ef_show "${EF_DEC[$fid]}" "$old") -> $(ef_show "${EF_DEC[$fid]}" "$new")")
            elif [ "${EF_LABEL[$fid]:-}" ]; then
                inval+=("$fid")
            else
                ch+=("EF $fid $old -> $new")
            fi
            ;;
        esac
    done < <(join <(grep "^$iccid\\." "$TMP/before.dump" | sort) <(grep "^$iccid\\." "$TMP/after.dump" | sort) |
        awk '$2 != $3')
    line=""
    for c in "${ch[@]}"; do line="${line:+$line; }$c"; done
    if [ ${#inval[@]} -gt 0 ]; then
        names=""
        for fid in 6f7e 6f73 6f53 6fe3; do # the order the IMSI switch writes them
            [[ " ${inval[*]} " == *" $fid "* ]] && names="${names:+$names, }${EF_LABEL[$fid]}"
        done
        line="${line:+$line; }$names invalidated"
    fi
    n=$(dump_field "$TMP/after.dump" "$iccid" executed)
    if [ -z "$line" ]; then
        line="${D}unchanged${N}"
    fi
    printf '  %-20s %-15s %s %s\n' "$iccid" "+$(dump_field "$TMP/after.dump" "$iccid" msisdn)" "$line" \
        "${D}[packets run: ${n:-0}]${N}"
done

# ---------------------------------------------------------------- stop
# Before the summary, so that it shows what Redis holds after the drain.
echo
T_STOP=$(date +%s%3N)
e2e_stop_gw 20
echo "${B}Stopped${N}: otagw drained on SIGTERM and exited $E2E_GW_RC in $(secs "$(ms_since "$T_STOP")")" \
    "${D}(the queue's blocking read returns first)${N}"
[ "$E2E_GW_RC" = 0 ] || fail "otagw did not drain and exit 0 on SIGTERM (got $E2E_GW_RC; see $TMP/otagw.log)"
grep -q ' err ' "$TMP/otagw.log" && fail "otagw logged errors: $(grep -m1 ' err ' "$TMP/otagw.log")"

# ---------------------------------------------------------------- summary
echo
echo "${B}Summary${N} (otactl report --since all --by country,carrier)"
"$OTACTL" report --since all --by country,carrier --redis "127.0.0.1:$REDIS_PORT" 2>&1 | sed 's/^/  /'


# otasim and redis-server too, waiting for each (harness.sh's trap would
# follow a TERM with a KILL after 0.1 s, and bash would report it).
for pid in "$otasim_PID" "$REDIS_PID"; do
    kill -TERM "$pid" 2>/dev/null
    n=100
    while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
    wait "$pid" 2>/dev/null
done

echo
TOTAL_MS=$(ms_since "$T0")
if [ ${#FAILS[@]} -eq 0 ]; then
    echo "${G}${B}demo ok${N}: $NJOBS/$NJOBS jobs ended as expected, every card check held," \
        "otagw drained and exited 0 (jobs $(secs "$RUN_MS"), whole demo $(secs "$TOTAL_MS"))"
    exit 0
fi
echo "${R}${B}demo FAILED${N}: ${#FAILS[@]} thing(s) did not end as expected:"
for f in "${FAILS[@]}"; do echo "  - $f"; done
echo "  logs: $TMP/otagw.log, $TMP/otasim.log (run with KEEP_TMP=1 to keep them)"
exit 1
