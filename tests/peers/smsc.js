// smsc.js — an SMSC for integration tests, built on the `smpp` package from
// npm (an SMPP implementation independent of ours). It checks what an SMSC
// can see of a well-behaved ESME and prints one JSON line of findings when
// it gets SIGTERM. Options (all --key=value):
//   port, system_id, password     bind credentials it accepts
//   tls_key, tls_cert             serve SMPP over TLS
//   delay_ms                      answer each submit_sm after this long
//   window                        complain when more submits are outstanding
//   throttle_every                answer every Nth submit_sm ESME_RTHROTTLED
//   drop_after                    destroy the link once after N submits
//                                 (those in flight stay unanswered)
//   msgid                         hex | dec: submit_sm_resp message_id form
//   receipt                       none | text | tlv | both
//   receipt_id                    hex | dec: id form inside receipts
//   receipt_first                 1: send the receipt before the resp
//   enquire_ms                    send enquire_link to the ESME this often
//   ignore_enquire                1: never answer the ESME's enquire_link
//   mo_por                        1: after the first submit, send an MO with
//                                 a PoR UDH (IEI 0x71) to the ESME
'use strict';
const fs = require('fs');
const path = require('path');
const smpp = require(path.join(__dirname, 'node_modules', 'smpp'));

const opt = {};
for (const a of process.argv.slice(2)) {
    const m = /^--([a-z_]+)=(.*)$/.exec(a);
    if (m) opt[m[1]] = m[2];
}
const num = (k, d) => (opt[k] !== undefined ? Number(opt[k]) : d);

const st = {
    binds: 0, bindModes: [], badBinds: 0, submits: 0, accepted: 0, throttled: 0,
    maxOutstanding: 0, windowViolations: 0, dests: [], receiptsSent: 0,
    enquireFromEsme: 0, enquireRespFromEsme: 0, unbinds: 0, drops: 0,
    deliverRespOk: 0, pduChecks: 0, pduErrors: [], moSent: 0,
};
let nextId = 0x0A1B; // first id: hex 0A1B = decimal 2587
let dropped = false;
const sessions = [];

function fmtId(n, how) {
    return how === 'dec' ? String(n) : n.toString(16).toUpperCase().padStart(8, '0');
}

function receiverFor(sysId, from) {
    // a receipt may go on any receiver-capable bind of the same account
    const rx = sessions.filter((s) => s.sysId === sysId && s.canRx && !s.closed);
    if (from.canRx && !from.closed) return from;
    return rx[0];
}

// receipts for an account with no receiver bound yet wait for one, as
// an SMSC's store-and-forward does
const waiting = [];

function sendReceipt(from, dest, id) {
    const how = opt.receipt || 'none';
    if (how === 'none') return;
    const s = receiverFor(from.sysId, from);
    if (!s) {
        waiting.push([from, dest, id]);
        return;
    }
    const rid = fmtId(id, opt.receipt_id || opt.msgid || 'hex');
    const p = {
        source_addr: dest, source_addr_ton: 1, source_addr_npi: 1,
        destination_addr: '4930', esm_class: 0x04, data_coding: 0,
    };
    if (how === 'text' || how === 'both')
        p.short_message = Buffer.from(`id:${rid} sub:001 dlvrd:001 submit date:2401021530 ` +
            'done date:2401021531 stat:DELIVRD err:000 text:');
    else
        p.short_message = Buffer.alloc(0);
    if (how === 'tlv' || how === 'both') {
        p.receipted_message_id = rid;
        p.message_state = 2;
        p.network_error_code = Buffer.from([3, 0, 0]);
    }
    s.session.send(new smpp.PDU('deliver_sm', p), (r) => {
        if (r.command_status === 0) st.deliverRespOk++;
    });
    st.receiptsSent++;
}

function sendPor(s) {
    // MO carrying a 03.48 response packet: UDH 02 71 00 + a few octets
    const ud = Buffer.from([0x02, 0x71, 0x00, 0x00, 0x0d, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x02,
                            0x03, 0x04, 0x05, 0x00, 0x00, 0x00]);
    s.session.send(new smpp.PDU('deliver_sm', {
        source_addr: '491701234567', source_addr_ton: 1, source_addr_npi: 1,
        destination_addr: '4930', esm_class: 0x40, protocol_id: 0x7f, data_coding: 0xf6,
        short_message: ud,
    }));
    st.moSent++;
}

function check(cond, what) {
    st.pduChecks++;
    if (!cond && st.pduErrors.length < 10) st.pduErrors.push(what);
}

function onSession(session) {
    const me = { session, sysId: null, canRx: false, closed: false, outstanding: 0 };
    sessions.push(me);
    session.on('error', () => {});
    session.on('close', () => { me.closed = true; });
    const bind = (mode, rx) => (pdu) => {
        if (pdu.system_id !== (opt.system_id || 'otagw') ||
            pdu.password !== (opt.password || 'secret')) {
            st.badBinds++;
            session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
            return;
        }
        st.binds++;
        st.bindModes.push(mode);
        me.sysId = pdu.system_id;
        me.canRx = rx;
        session.send(pdu.response({ system_id: 'nodesmsc' }));
        if (rx) for (const w of waiting.splice(0)) sendReceipt(w[0], w[1], w[2]);
        if (opt.enquire_ms) {
            const t = setInterval(() => {
                if (me.closed) return clearInterval(t);
                session.send(new smpp.PDU('enquire_link'), () => st.enquireRespFromEsme++);
            }, num('enquire_ms', 0));
        }
    };
    session.on('bind_transceiver', bind('trx', true));
    session.on('bind_transmitter', bind('tx', false));
    session.on('bind_receiver', bind('rx', true));
    session.on('enquire_link', (pdu) => {
        st.enquireFromEsme++;
        if (opt.ignore_enquire !== '1') session.send(pdu.response());
    });
    session.on('unbind', (pdu) => { st.unbinds++; session.send(pdu.response()); session.close(); });
    session.on('submit_sm', (pdu) => {
        const k = ++st.submits;
        const sm = pdu.short_message || {};
        const udh = sm.udh && sm.udh[0];
        check(pdu.esm_class === 0x40, `esm_class ${pdu.esm_class}`);
        check(pdu.protocol_id === 0x7f, `protocol_id ${pdu.protocol_id}`);
        check(pdu.data_coding === 0xf6, `data_coding ${pdu.data_coding}`);
        check(pdu.registered_delivery === 1, `registered_delivery ${pdu.registered_delivery}`);
        // the package turns a relative time into a Date; ours is "1 hour"
        const vp = pdu.validity_period;
        const ahead = vp instanceof Date ? (vp.getTime() - Date.now()) / 1000 : -1;
        check(ahead > 3500 && ahead < 3700, `validity ${vp}`);
        check(udh && udh[0] === 0x70 && udh[1] === 0, 'UDH IEI 0x70');
        check(pdu.source_addr === '4930' && pdu.source_addr_ton === 1, 'source');
        me.outstanding++;
        if (me.outstanding > st.maxOutstanding) st.maxOutstanding = me.outstanding;
        if (opt.window && me.outstanding > num('window', 0)) st.windowViolations++;
        if (opt.drop_after && !dropped && st.submits >= num('drop_after', 0)) {
            dropped = true;
            st.drops++;
            session.destroy();
            return;
        }
        const answer = () => {
            me.outstanding--;
            if (me.closed) return;
            if (opt.throttle_every && k % num('throttle_every', 0) === 0) {
                st.throttled++;
                session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
                return;
            }
            st.accepted++;
            st.dests.push(pdu.destination_addr);
            const id = nextId++;
            if (opt.receipt_first === '1') sendReceipt(me, pdu.destination_addr, id);
            session.send(pdu.response({ message_id: fmtId(id, opt.msgid || 'hex') }));
            if (opt.receipt_first !== '1') sendReceipt(me, pdu.destination_addr, id);
            if (opt.mo_por === '1' && st.moSent === 0) sendPor(receiverFor(me.sysId, me) || me);
        };
        if (opt.delay_ms) setTimeout(answer, num('delay_ms', 0));
        else answer();
    });
}

let server;
if (opt.tls_key) {
    server = smpp.createServer({
        key: fs.readFileSync(opt.tls_key), cert: fs.readFileSync(opt.tls_cert),
    }, onSession);
} else {
    server = smpp.createServer(onSession);
}
server.on('error', (e) => { console.error('server error', e.message); });
server.listen(num('port', 2775), '127.0.0.1');

process.on('SIGTERM', () => {
    process.stdout.write(JSON.stringify(st) + '\n', () => process.exit(0));
});
