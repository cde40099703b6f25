# e2e.sh — the gateway end to end: a private redis-server, otasim (carrier
# SMSC + simulated SIM cards over real TCP) and the real otagw, all on free
# ports, all stopped at exit (harness.sh's cleanup trap). Sourced by
# tests/integration/e2e_*.sh and by the demo; bash.
#
#   . tests/lib/e2e.sh
#   e2e_start                  # keystore, cards, config, redis, otasim, otagw
#   e2e_card_add ICCID KEYSET CLASS MSISDN
#   id=$(e2e_job id j1 type switch iccid ... msisdn ... method imsi imsi ...)
#   st=$(e2e_wait j1)          # final state (or the last one after the timeout)
#   e2e_card 8944000000000000011 imsi   # a field of otasim's state dump
#   e2e_event j1 rejected      # the detail of the job's event in that state
#
# Everything lives in $E2E (a folder of the harness's $TMP). Variables read
# before e2e_start, each with a default:
#   E2E_SIM_ARGS      extra otasim options (--outcome, --por-delay-ms, ...)
#   E2E_GW_CONF_EXTRA text appended to the generated otagw.conf
#   E2E_CARDS_EXTRA   text appended to the generated card file
#   E2E_METRICS=1     start /metrics on a free port (E2E_METRICS_PORT)
#   E2E_WINDOW        the carrier's window (default 10)
#   E2E_RESPONSE_TIMEOUT the carrier's response_timeout (default 5s)
#   E2E_MSGID_FORMAT  the carrier's msgid_format (default hex; otasim's ids
#                     are hex unless E2E_SIM_ARGS says --msgid ...)
# and, to run a fleet of one's own (the demo, conf/demo/):
#   E2E_KEYSTORE      a keystore file, installed mode 0600 instead of the above
#   E2E_CARDS         a card file, instead of the above
#   E2E_SIM_ACCOUNTS  otasim's accounts file (NAME SYSTEM_ID PASSWORD lines):
#                     one listener per account on a free port of its own,
#                     E2E_SIM_PORTS[NAME]; SIM_PORT is the first one's
#   E2E_CONF_TEMPLATE an otagw.conf with @REDIS_PORT@, @METRICS_PORT@,
#                     @KEYSTORE@, @E164@ and @PORT:NAME@ filled in
#   E2E_REDIS_ARGS    extra redis-server options (--appendonly yes, ...)
# Exposes REDIS_PORT, SIM_PORT, SIM_CTL, E2E_CONF, otagw's log
# ($TMP/otagw.log) and otasim's ($TMP/otasim.log).

[ "$(type -t ok)" = function ] || . tests/lib/harness.sh

OTAGW=${OTAGW:-$SAN_BUILD/otagw}
[ -x "$OTAGW" ] || OTAGW=$BUILD/otagw
OTASIM=${OTASIM:-$BUILD/otasim}
E2E=$TMP/e2e
mkdir -p "$E2E"
RCLI() { redis-cli -p "$REDIS_PORT" "$@"; }

# Keysets both sides share (otasim --keys reads the gateway's keystore).
#   ks1: 3DES 2-key, CC, ciphered, counter "higher"; PoR CC + ciphered
#        (SPI 16 39): the PoR's CNTR can only be read with the keys.
#   ks2: AES-128 + CMAC, the same SPI.
#   ksplain: PoR without security (SPI 16 21): the PoR's CNTR is clear.
e2e_write_keystore() {
    cat >"$1" <<'KEYS'
[keyset ks1]
kic = 3des2:300102030405060708090a0b0c0d0e0f
kid = 3des2:301102030405060708090a0b0c0d0e0f
kic_kvn = 1
kid_kvn = 1
spi = 1639

[keyset ks2]
kic = aes128:400102030405060708090a0b0c0d0e0f
kid = aes:401102030405060708090a0b0c0d0e0f
kic_kvn = 2
kid_kvn = 2
spi = 1639

[keyset ksplain]
kic = 3des2:500102030405060708090a0b0c0d0e0f
kid = 3des2:501102030405060708090a0b0c0d0e0f
kic_kvn = 3
kid_kvn = 3
spi = 1621
KEYS
    chmod 600 "$1"
}

# The simulated cards (docs/simulator.md "The card file"). MSISDNs are
# GB numbers (447700900xxx, routed by the default route); the CN one is for
# the local-only policy.
E2E_ICCID_UICC=8944000000000000011
E2E_ICCID_SIM=8944000000000000012
E2E_ICCID_EUICC=8944000000000000013
E2E_ICCID_LOW=8944000000000000014
E2E_ICCID_AES=8944000000000000015
E2E_ICCID_PLAIN=8944000000000000016
E2E_ICCID_CN=8986000000000000017
E2E_ICCID_GHOST=8944000000000000018 # in Redis, not in otasim: receipt UNDELIV
E2E_MSISDN_UICC=447700900011
E2E_MSISDN_SIM=447700900012
E2E_MSISDN_EUICC=447700900013
E2E_MSISDN_LOW=447700900014
E2E_MSISDN_AES=447700900015
E2E_MSISDN_PLAIN=447700900016
E2E_MSISDN_CN=8613800000017
E2E_MSISDN_GHOST=447700900018
E2E_PROFILE_A=a0000005591010ffffffff8900001100
E2E_PROFILE_B=a0000005591010ffffffff8900001200

e2e_write_cards() {
    cat >"$1" <<CARDS
[card $E2E_ICCID_UICC]
msisdn = $E2E_MSISDN_UICC
class = uicc
imsi = 228062800000208
keyset = ks1
counter.ks1 = 0
ro = 6f78

[card $E2E_ICCID_SIM]
msisdn = $E2E_MSISDN_SIM
class = sim
imsi = 22806280000020
keyset = ks1

# A multi-IMSI applet (ota's {slot} template) and an eUICC ISD-R.
[card $E2E_ICCID_EUICC]
msisdn = $E2E_MSISDN_EUICC
class = uicc
keyset = ks1
tar = b0ff01 applet msl=12
tar = 000001 isdr msl=16
tar = b00011 rfm msl=12
slot.1 = 228062800000208
slot.2 = 001010123456789
active_slot = 1
applet_command = 80 C2 {slot} 00 00
profile = $E2E_PROFILE_A enabled
profile = $E2E_PROFILE_B

# Stored counter far ahead of Redis's: the first packet answers "counter low".
[card $E2E_ICCID_LOW]
msisdn = $E2E_MSISDN_LOW
class = uicc
imsi = 228062800000208
keyset = ks1
counter.ks1 = 100

[card $E2E_ICCID_AES]
msisdn = $E2E_MSISDN_AES
class = uicc
imsi = 228062800000208
keyset = ks2

[card $E2E_ICCID_PLAIN]
msisdn = $E2E_MSISDN_PLAIN
class = uicc
imsi = 228062800000208
keyset = ksplain
${E2E_CARDS_EXTRA:-}
CARDS
}

e2e_write_config() {
    cp conf/e164.csv "$E2E/e164.csv"
    if [ "${E2E_CONF_TEMPLATE:-}" ]; then
        local name sub=(-e "s|@REDIS_PORT@|$REDIS_PORT|g" -e "s|@METRICS_PORT@|${E2E_METRICS_PORT:-0}|g"
            -e "s|@KEYSTORE@|$E2E/keys.ini|g" -e "s|@E164@|$E2E/e164.csv|g")
        for name in "${!E2E_SIM_PORTS[@]}"; do
            sub+=(-e "s|@PORT:$name@|${E2E_SIM_PORTS[$name]}|g")
        done
        sed "${sub[@]}" "$E2E_CONF_TEMPLATE" >"$1"
        if grep -n '^[^#;]*@[A-Z_]*[:@]' "$1"; then
            echo "# $E2E_CONF_TEMPLATE: placeholders left unfilled (above)"
            return 1
        fi
        return 0
    fi
    cat >"$1" <<CONF
[gateway]
name = e2e
keystore = keys.ini
e164_table = e164.csv
log_level = debug
mask_msisdn = no
metrics_port = ${E2E_METRICS_PORT:-0}
default_validity = 300s
max_attempts = 3

[redis]
host = 127.0.0.1
port = $REDIS_PORT

[carrier sim]
host = 127.0.0.1
port = $SIM_PORT
system_id = otagw
password = secret
bind = trx
binds = 1
source_addr = 447700900999
window = ${E2E_WINDOW:-10}
response_timeout = ${E2E_RESPONSE_TIMEOUT:-5s}
reconnect_min = 100ms
reconnect_max = 1s
msgid_format = ${E2E_MSGID_FORMAT:-hex}
max_sms = 5

[route]
default = sim

[policy]
CN = local-only

[applet default]
description = the simulated cards' multi-IMSI applet
tar = b0ff01
slots = 1-4
command = 80 C2 {slot} 00 00
${E2E_GW_CONF_EXTRA:-}
CONF
}

# e2e_cards_register_file FILE: every [card] of an otasim card file as the
# fleet platform registers it (its first keyset, class, msisdn).
e2e_cards_register_file() {
    local iccid keyset class msisdn
    while read -r iccid keyset class msisdn; do
        e2e_card_add "$iccid" "$keyset" "$class" "$msisdn"
    done < <(awk '
        function flush() { if (iccid != "") print iccid, ks, cl, ms; iccid = "" }
        /^[ \t]*\[card / { flush(); iccid = $2; sub(/\].*/, "", iccid); ks = ""; cl = "uicc"; ms = ""; next }
        /^[ \t]*\[/ { flush(); next }
        iccid != "" && /=/ {
            k = $0; sub(/[ \t]*=.*/, "", k); gsub(/[ \t]/, "", k)
            v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]*[;#].*/, "", v)
            if (k == "keyset") { ks = v; sub(/[ \t]*,.*/, "", ks) }
            if (k == "class") cl = v
            if (k == "msisdn") { ms = v; sub(/^\+/, "", ms) }
        }
        END { flush() }' "$1")
}

# Starts otasim; waits for its SMPP port(s).
declare -A E2E_SIM_PORTS=()
e2e_start_sim() {
    local listen=() name p
    if [ "${E2E_SIM_ACCOUNTS:-}" ]; then
        listen+=(--accounts "$E2E_SIM_ACCOUNTS")
        while read -r name _; do
            case "$name" in '' | '#'*) continue ;; esac
            E2E_SIM_PORTS[$name]=$(free_port)
            listen+=(--listen "127.0.0.1:${E2E_SIM_PORTS[$name]},account=$name")
            SIM_PORT=${SIM_PORT:-${E2E_SIM_PORTS[$name]}}
        done <"$E2E_SIM_ACCOUNTS"
    else
        SIM_PORT=$(free_port)
        listen+=(--listen "127.0.0.1:$SIM_PORT" --account carrier:otagw:secret)
    fi
    SIM_CTL=$(free_port)
    # shellcheck disable=SC2086
    spawn otasim "$OTASIM" --cards "$E2E/cards.ini" --keys "$E2E/keys.ini" \
        "${listen[@]}" --msgid hex \
        --receipt-delay-ms 20 --por-delay-ms 30 --control "$SIM_CTL" \
        --state "$E2E/state.txt" --journal "$E2E/journal.log" --log "$E2E/pdu.log" \
        --seed 1 ${E2E_SIM_ARGS:-}
    for p in "$SIM_PORT" "${E2E_SIM_PORTS[@]}"; do
        wait_port "$p" || { echo "# otasim did not start"; sed 's/^/#   /' "$TMP/otasim.log"; return 1; }
    done
}

# Starts otagw; waits until it takes jobs (a bind is up).
e2e_start_gw() {
    spawn otagw "$OTAGW" -c "$E2E_CONF"
    OTAGW_PID=$otagw_PID
    local n=200
    until grep -q 'taking jobs' "$TMP/otagw.log" 2>/dev/null; do
        n=$((n - 1))
        if [ "$n" -le 0 ] || ! kill -0 "$OTAGW_PID" 2>/dev/null; then
            echo "# otagw did not start"
            sed 's/^/#   /' "$TMP/otagw.log" | tail -n 30
            return 1
        fi
        sleep 0.05
    done
}

e2e_start() {
    # shellcheck disable=SC2086
    start_redis ${E2E_REDIS_ARGS:-} || return 1
    if [ "${E2E_KEYSTORE:-}" ]; then
        # git keeps no file modes; otagw refuses a keystore others can read.
        install -m 600 "$E2E_KEYSTORE" "$E2E/keys.ini" || return 1
    else
        e2e_write_keystore "$E2E/keys.ini"
    fi
    if [ "${E2E_CARDS:-}" ]; then
        cp "$E2E_CARDS" "$E2E/cards.ini" || return 1
    else
        e2e_write_cards "$E2E/cards.ini"
    fi
    e2e_start_sim || return 1
    if [ "${E2E_METRICS:-}" ]; then E2E_METRICS_PORT=$(free_port); fi
    E2E_CONF=$E2E/otagw.conf
    e2e_write_config "$E2E_CONF" || return 1
    e2e_start_gw
}

OTACTL=${OTACTL:-$BUILD/otactl}

# e2e_card_add ICCID KEYSET CLASS MSISDN: the card record of the contract
# (docs/DESIGN.md: ota:card:<iccid> with keyset and class), written the way
# ops do it.
e2e_card_add() {
    "$OTACTL" card add "$1" --keyset "$2" --class "$3" --msisdn "$4" \
        --redis "127.0.0.1:$REDIS_PORT" >/dev/null
}

# The cards above, as the fleet platform would have registered them.
e2e_cards_register() {
    e2e_card_add $E2E_ICCID_UICC ks1 uicc $E2E_MSISDN_UICC
    e2e_card_add $E2E_ICCID_SIM ks1 sim $E2E_MSISDN_SIM
    e2e_card_add $E2E_ICCID_EUICC ks1 uicc $E2E_MSISDN_EUICC
    e2e_card_add $E2E_ICCID_LOW ks1 uicc $E2E_MSISDN_LOW
    e2e_card_add $E2E_ICCID_AES ks2 uicc $E2E_MSISDN_AES
    e2e_card_add $E2E_ICCID_PLAIN ksplain uicc $E2E_MSISDN_PLAIN
    e2e_card_add $E2E_ICCID_CN ks1 uicc $E2E_MSISDN_CN
    e2e_card_add $E2E_ICCID_GHOST ks1 uicc $E2E_MSISDN_GHOST
}

# e2e_job FIELD VALUE ...: XADD to ota:jobs; prints the entry id.
e2e_job() {
    RCLI XADD ota:jobs '*' "$@"
}

# e2e_wait ID [SECONDS] [STATES]: polls ota:job:ID until its state is one
# of STATES (default: the final ones, and delivered for por=none); prints
# the state it ended with (possibly not final, after the timeout).
e2e_wait() {
    local id=$1 secs=${2:-20} want=${3:-"confirmed rejected failed expired"} st=""
    local n=$((secs * 20))
    while [ "$n" -gt 0 ]; do
        st=$(RCLI HGET "ota:job:$id" state)
        case " $want " in *" $st "*) break ;; esac
        sleep 0.05
        n=$((n - 1))
    done
    echo "$st"
}

# e2e_event ID STATE: the detail of the job's (last) event in that state.
e2e_event() {
    RCLI XRANGE ota:events - + | awk -v id="$1" -v st="$2" '
        { f[n++] = $0 }
        END {
            for (i = 0; i < n; i++) if (f[i] == "job" && f[i + 1] == id) {
                job = 1; state = ""; detail = ""
                for (j = i; j < n && j < i + 20; j += 2) {
                    if (f[j] == "state") state = f[j + 1]
                    if (f[j] == "detail") detail = f[j + 1]
                }
                if (state == st) last = detail
            }
            print last
        }'
}

# e2e_states ID: the job's states in order, space separated.
e2e_states() {
    RCLI XRANGE ota:events - + | awk -v id="$1" '
        { f[n++] = $0 }
        END {
            for (i = 0; i < n; i++) if (f[i] == "job" && f[i + 1] == id)
                for (j = i; j < n && j < i + 20; j += 2)
                    if (f[j] == "state") { printf "%s%s", sep, f[j + 1]; sep = " "; break }
            print ""
        }'
}

# otasim's control port: one command, its answer.
e2e_sim_ctl() {
    exec 3<>"/dev/tcp/127.0.0.1/$SIM_CTL" || return 1
    echo "$1" >&3
    timeout 3 sed '/^\.$/q; /^ok$/q; /^error/q' <&3
    exec 3<&-
}

# e2e_card ICCID FIELD: one value of otasim's state dump ("imsi", "profile",
# "ef.6f7b", "counter.ks1", "executed", ...).
e2e_card() {
    e2e_sim_ctl "card $1" | awk -v k="$1.$2" '$1 == k { print $2 }'
}

# e2e_sim_stat REGEX [DEFAULT]: the sum of otasim's stats counters whose
# name matches ^REGEX$ (an ERE), or DEFAULT ("" unless given) when none
# does. The regex goes through the environment: awk -v would read its \
# escapes.
e2e_sim_stat() {
    e2e_sim_ctl stats | STAT_RE="^($1)\$" STAT_DEF="${2:-}" awk '
        $1 ~ ENVIRON["STAT_RE"] { s += $2; n++ }
        END { if (n) print s + 0; else print ENVIRON["STAT_DEF"] }'
}

# e2e_cards_series XX N: card-file text (for E2E_CARDS_EXTRA) of N UICCs on
# keyset ks1, numbered 01..N: ICCID 894400000000000XXnn, MSISDN 44770090XXnn.
e2e_cards_series() {
    local i
    for i in $(seq -w 1 "$2"); do
        printf '\n[card 894400000000000%s%s]\nmsisdn = 44770090%s%s\nclass = uicc\n' "$1" "$i" "$1" "$i"
        printf 'imsi = 228062800000208\nkeyset = ks1\n'
    done
}

# e2e_redis_back: redis-server started again on the same port and folder
# (so with its AOF, under E2E_REDIS_ARGS) after a test killed it; waits up to
# 5 s for it to answer PING.
e2e_redis_back() {
    local n=0
    spawn redis2 redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP/redis" --save '' \
        --daemonize no ${E2E_REDIS_ARGS:-}
    until RCLI ping >/dev/null 2>&1 || [ $n -ge 100 ]; do sleep 0.05; n=$((n + 1)); done
}

# e2e_stop_gw [SECONDS]: SIGTERM to otagw, wait for it; sets E2E_GW_RC to
# its exit status, or "timeout" (call it directly, not in $(...): only the
# shell that started otagw can wait for it).
e2e_stop_gw() {
    local secs=${1:-20} n
    kill -TERM "$OTAGW_PID" 2>/dev/null
    n=$((secs * 20))
    while kill -0 "$OTAGW_PID" 2>/dev/null && [ "$n" -gt 0 ]; do
        sleep 0.05
        n=$((n - 1))
    done
    if kill -0 "$OTAGW_PID" 2>/dev/null; then
        E2E_GW_RC=timeout
        return 1
    fi
    wait "$OTAGW_PID" 2>/dev/null
    E2E_GW_RC=$?
}

# /metrics of the otagw started with E2E_METRICS=1.
e2e_scrape() { curl -s "http://127.0.0.1:$E2E_METRICS_PORT/metrics"; }
# e2e_mval 'SERIES' FILE: the value of one series (exact name and labels),
# or "absent".
e2e_mval() { awk -v s="$1" 'index($0, s " ") == 1 { v = $NF } END { print v == "" ? "absent" : v }' "$2"; }
# e2e_msum FAMILY FILE [LABEL-REGEX]: sum of a family's samples (all label
# sets, or those matching).
e2e_msum() {
    awk -v f="$1" -v re="${3:-}" '($1 ~ "^"f"[{ ]" || $1 == f) && $0 ~ re { s += $NF } END { print s + 0 }' "$2"
}
