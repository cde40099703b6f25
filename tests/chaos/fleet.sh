# fleet.sh — the soak's fleet: cards for otasim, their records for Redis, and
# a mixed stream of jobs with a manifest of what each must change (bash).
#
#   fleet_make DIR JOBS SEED VALIDITY_S CHUNK
#
# writes into DIR:
#   keys.ini     the keystore both sides read (otagw, otasim --keys), mode 600
#   cards.ini    otasim's card file
#   cards.resp   HSET ota:card:<iccid> keyset class msisdn (redis-cli --pipe)
#   jobs/NNNNNN  the XADDs to ota:jobs (RESP), CHUNK jobs a file, in
#                enqueue order (soak.sh sends one file per pacing tick)
#   manifest     chaos_check's manifest: id iccid keyset por expect key value
#
# The fleet, for JOBS jobs on about JOBS*2/3 cards (one change per card and
# field, so a confirmed job's effect is readable on its card whatever the
# order of arrival):
#   countries    GB +447700, US +1202555 (carrier hub), DE +49151, FR +336
#                (carrier eu, then hub), BR +55119 (carrier br only:
#                local-only policy)
#   cards        USIM (uicc) 60 %, 2G SIM 15 %, multi-IMSI applet 15 %,
#                eUICC 10 %; keysets ks1 (3DES) and ks2 (AES)
#   jobs         uicc: switch/imsi (card's imsi) + config/fplmn (ef.6f7b);
#                sim: config/fplmn; applet: switch/applet slot 2
#                (active_slot); eUICC: switch/profile (profile)
#                10 % por=none (end at delivered), 1 % ghost cards (in Redis,
#                not on the network: receipt UNDELIV, failed), 1 % invalid
#                by construction (expect rejected), 0.5 % enqueued twice
#                with the same id (one job)
# Values are derived from the card number, deterministic for a SEED.

fleet_make() {
    local dir=$1 jobs=$2 seed=$3 validity=$4 chunk=$5
    mkdir -p "$dir/jobs"
    cat >"$dir/keys.ini" <<'KEYS'
# The soak's keysets. Test keys only: the security tests grep every log,
# event and Redis value for these hex strings.
[keyset ks1]
kic = 3des2:7a1c0f3e5d2b49a8c6e17f0b3d5a9c21
kid = 3des2:8b2d104f6e3c5ab9d7f2801c4e6bad32
kic_kvn = 1
kid_kvn = 1
spi = 1639

[keyset ks2]
kic = aes128:9c3e21507f4d6bcae803912d5f7cbe43
kid = aes:ad4f3261804e7cdbf914a23e608dcf54
kic_kvn = 2
kid_kvn = 2
spi = 1639
KEYS
    chmod 600 "$dir/keys.ini"
    awk -v jobs="$jobs" -v chunk="$chunk" -v seed="$seed" -v validity="$validity" -v dir="$dir" '
    function resp(a, k,   s, i) {
        s = "*" k "\r\n"
        for (i = 1; i <= k; i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"
        return s
    }
    # MCC+MNC (5 digits) -> 3 octets of EF_FPLMN (TS 31.102 4.2.16 / 24.008 10.5.1.3)
    function plmn(p) {
        return substr(p, 2, 1) substr(p, 1, 1) "f" substr(p, 3, 1) substr(p, 5, 1) substr(p, 4, 1)
    }
    function job(id, iccid, ks, por, expect, key, val, fields, n,   a, k, i, line) {
        a[1] = "XADD"; a[2] = "ota:jobs"; a[3] = "*"; k = 3
        a[++k] = "id"; a[++k] = id
        for (i = 1; i <= n; i++) a[++k] = fields[i]
        a[++k] = "validity"; a[++k] = validity
        a[++k] = "tag"; a[++k] = "chaos-" seed
        if (por != "always") { a[++k] = "por"; a[++k] = por }
        line = resp(a, k)
        cf = sprintf("%s/jobs/%06d", dir, int(njob / chunk))
        if (cf != lastcf) { if (lastcf != "") close(lastcf); lastcf = cf }
        printf "%s", line > cf
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, iccid, ks, por, expect, key, val > (dir "/manifest")
        njob++
        # Enqueued twice with the same id: the second is the client retrying.
        if (rand() < 0.005) { printf "%s", line > cf; twice++ }
    }
    BEGIN {
        srand(seed)
        printf "" > (dir "/cards.resp")
        print "# id\ticcid\tkeyset\tpor\texpect\tcheck_key\tcheck_value" > (dir "/manifest")
        print "# otasim cards of the chaos soak (tests/chaos/fleet.sh), seed " seed > (dir "/cards.ini")
        njob = 0; c = 0
        while (njob < jobs) {
            c++
            r = rand()
            cc = (r < 0.4) ? "GB" : (r < 0.55) ? "US" : (r < 0.7) ? "DE" : (r < 0.85) ? "FR" : "BR"
            if (cc == "GB") msisdn = sprintf("447700%06d", c)
            else if (cc == "US") msisdn = sprintf("1%03d555%04d", 201 + int(c / 10000) % 700, c % 10000)
            else if (cc == "DE") msisdn = sprintf("49151%08d", c)
            else if (cc == "FR") msisdn = sprintf("336%08d", c)
            else msisdn = sprintf("55119%08d", c)
            iccid = sprintf("89%s%015d", (cc == "GB") ? "44" : (cc == "US") ? "01" : (cc == "DE") ? "49" : (cc == "FR") ? "33" : "55", c)
            ks = (rand() < 0.7) ? "ks1" : "ks2"
            r = rand()
            kind = (r < 0.6) ? "uicc" : (r < 0.75) ? "sim" : (r < 0.9) ? "applet" : "euicc"
            class = (kind == "sim") ? "sim" : "uicc"
            ghost = rand() < 0.01
            por = (rand() < 0.1) ? "none" : "always"
            a[1] = "HSET"; a[2] = "ota:card:" iccid; a[3] = "keyset"; a[4] = ks
            a[5] = "class"; a[6] = class; a[7] = "msisdn"; a[8] = msisdn
            printf "%s", resp(a, 8) > (dir "/cards.resp")
            oldimsi = sprintf("00101%010d", c)
            if (!ghost) {
                out = dir "/cards.ini"
                printf "\n[card %s]\nmsisdn = +%s\nclass = %s\nkeyset = %s\ncounter.%s = 0\n", iccid, msisdn, class, ks, ks > out
                if (kind == "applet") {
                    printf "tar = b0ff01 applet msl=12\ntar = b00011 rfm msl=12\n" > out
                    printf "slot.1 = %s\nslot.2 = 00102%010d\nactive_slot = 1\napplet_command = 80 C2 {slot} 00 00\n", oldimsi, c > out
                } else if (kind == "euicc") {
                    printf "tar = 000001 isdr msl=16\ntar = b00011 rfm msl=12\n" > out
                    printf "profile = a0000005591010ffffffff8900001100 enabled\nprofile = a0000005591010ffffffff8900001200\n" > out
                } else
                    printf "imsi = %s\n", oldimsi > out
            }
            id = sprintf("c%d", c)
            # One invalid job in a hundred, of five kinds, each a field the
            # validator or the intake must refuse.
            if (rand() < 0.01) {
                b = int(rand() * 5)
                if (b == 0) { f[1] = "type"; f[2] = "switch"; f[3] = "iccid"; f[4] = iccid; f[5] = "msisdn"; f[6] = "12ab34"; f[7] = "method"; f[8] = "imsi"; f[9] = "imsi"; f[10] = oldimsi; n = 10 }
                else if (b == 1) { f[1] = "type"; f[2] = "reboot"; f[3] = "iccid"; f[4] = iccid; f[5] = "msisdn"; f[6] = msisdn; n = 6 }
                else if (b == 2) { f[1] = "type"; f[2] = "config"; f[3] = "iccid"; f[4] = iccid; f[5] = "msisdn"; f[6] = msisdn; f[7] = "file"; f[8] = "fplmn"; f[9] = "value"; f[10] = "2341X"; n = 10 }
                else if (b == 3) { f[1] = "type"; f[2] = "switch"; f[3] = "iccid"; f[4] = "8999" c; f[5] = "msisdn"; f[6] = msisdn; f[7] = "method"; f[8] = "imsi"; f[9] = "imsi"; f[10] = oldimsi; n = 10 }
                else { f[1] = "type"; f[2] = "switch"; f[3] = "iccid"; f[4] = iccid; f[5] = "msisdn"; f[6] = msisdn; f[7] = "method"; f[8] = "imsi"; f[9] = "imsi"; f[10] = "0010X"; n = 10 }
                job(id "x", iccid, ks, "always", "rejected", "-", "-", f, n)
            }
            f[1] = "iccid"; f[2] = iccid; f[3] = "msisdn"; f[4] = "+" msisdn
            if (kind == "uicc" || kind == "sim") {
                p1 = sprintf("%03d%02d", 200 + c % 600, c % 100); p2 = sprintf("%03d%02d", 200 + (c * 7) % 600, (c * 3) % 100)
                f[5] = "type"; f[6] = "config"; f[7] = "file"; f[8] = "fplmn"; f[9] = "value"; f[10] = p1 "," p2
                job(id "f", iccid, ks, por, "ok", ghost ? "-" : "ef.6f7b", plmn(p1) plmn(p2) "ffffffffffff", f, 10)
            }
            if (kind == "uicc" && njob < jobs) {
                newimsi = sprintf("00103%010d", c)
                f[5] = "type"; f[6] = "switch"; f[7] = "method"; f[8] = "imsi"; f[9] = "imsi"; f[10] = newimsi
                job(id "i", iccid, ks, por, "ok", ghost ? "-" : "imsi", newimsi, f, 10)
            }
            if (kind == "applet") {
                f[5] = "type"; f[6] = "switch"; f[7] = "method"; f[8] = "applet"; f[9] = "slot"; f[10] = "2"
                job(id "a", iccid, ks, por, "ok", ghost ? "-" : "active_slot", "2", f, 10)
            }
            if (kind == "euicc") {
                f[5] = "type"; f[6] = "switch"; f[7] = "method"; f[8] = "profile"; f[9] = "aid"; f[10] = "a0000005591010ffffffff8900001200"
                job(id "p", iccid, ks, por, "ok", ghost ? "-" : "profile", "a0000005591010ffffffff8900001200", f, 10)
            }
        }
        printf "fleet: %d jobs (%d enqueued twice) on %d cards\n", njob, twice, c
    }'
}
