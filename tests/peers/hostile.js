// hostile.js — a hostile SMSC for tests/integration/security_hostile.sh, on
// raw sockets (no SMPP library: it must send what no library would). It
// binds any ESME (bind_* answered ESME_ROK), answers submit_sm,
// enquire_link and unbind, and attacks every bound link on command, from a
// line protocol on 127.0.0.1:CTL:
//   bigpdu LEN        a PDU header announcing command_length LEN (then a
//                     few body octets), the link kept open
//   tlvs N            a deliver_sm (receipt) carrying N empty vendor TLVs
//   concat N          N first segments (of 2) of concatenated PoR MOs, each
//                     with its own 16-bit reference: never completed
//   unknown N RATE    N receipts for message ids never issued, RATE per second
//   stats             one JSON line of counters
// Each command is answered "ok ..." once sent (after waiting up to 10 s for
// a bound link), or "error ...".
//   node hostile.js --port=P --ctl=C
'use strict';
const net = require('net');

const opt = {};
for (const a of process.argv.slice(2)) {
    const m = /^--([a-z_]+)=(.*)$/.exec(a);
    if (m) opt[m[1]] = m[2];
}
const st = { binds: 0, closes: 0, submits: 0, delivers: 0, deliverResp: {}, nacks: 0 };
const links = new Set();
let seq = 1;
let nextMsgId = 1;

function pdu(id, status, seqno, body) {
    const h = Buffer.alloc(16);
    h.writeUInt32BE(16 + body.length, 0);
    h.writeUInt32BE(id >>> 0, 4);
    h.writeUInt32BE(status, 8);
    h.writeUInt32BE(seqno, 12);
    return Buffer.concat([h, body]);
}
const cstr = (s) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);

// SMPP 3.4 §4.6.1 deliver_sm: mandatory fields, short_message, then TLVs.
function deliverSm(src, esm, pid, dcs, sm, tlvs) {
    const body = Buffer.concat([
        cstr(''), Buffer.from([1, 1]), cstr(src), Buffer.from([1, 1]), cstr('447700900999'),
        Buffer.from([esm, pid, 0]), cstr(''), cstr(''), Buffer.from([0, 0, dcs, 0, sm.length]),
        sm, tlvs || Buffer.alloc(0),
    ]);
    st.delivers++;
    return pdu(0x00000005, 0, seq++, body);
}

function onPdu(s, buf) {
    const id = buf.readUInt32BE(4), status = buf.readUInt32BE(8), sq = buf.readUInt32BE(12);
    if (id === 1 || id === 2 || id === 9) {
        st.binds++;
        s.bound = true;
        s.write(pdu((id | 0x80000000) >>> 0, 0, sq, cstr('hostile')));
    } else if (id === 4) {
        st.submits++;
        s.write(pdu(0x80000004, 0, sq, cstr((nextMsgId++).toString(16))));
    } else if (id === 0x15) {
        s.write(pdu(0x80000015, 0, sq, Buffer.alloc(0)));
    } else if (id === 6) {
        s.write(pdu(0x80000006, 0, sq, Buffer.alloc(0)));
        s.end();
    } else if (id === 0x80000005) {
        st.deliverResp[status] = (st.deliverResp[status] || 0) + 1;
    } else if (id === 0x80000000) {
        st.nacks++;
    }
}

net.createServer((s) => {
    let acc = Buffer.alloc(0);
    links.add(s);
    s.on('data', (d) => {
        acc = Buffer.concat([acc, d]);
        while (acc.length >= 16) {
            const len = acc.readUInt32BE(0);
            if (len < 16 || len > 65536) { s.destroy(); return; }
            if (acc.length < len) break;
            onPdu(s, acc.subarray(0, len));
            acc = acc.subarray(len);
        }
    });
    s.on('error', () => {});
    s.on('close', () => { links.delete(s); st.closes++; });
}).listen(Number(opt.port), '127.0.0.1');

function bound(cb, tries = 100) {
    const l = [...links].filter((s) => s.bound && !s.destroyed);
    if (l.length) return cb(l);
    if (tries <= 0) return cb(null);
    setTimeout(() => bound(cb, tries - 1), 100);
}

const attacks = {
    bigpdu(l, [len], done) {
        const h = Buffer.alloc(24);
        h.writeUInt32BE(Number(len) >>> 0, 0);
        h.writeUInt32BE(0x00000005, 4);
        h.writeUInt32BE(seq++, 12);
        for (const s of l) s.write(h);
        done(`sent header command_length=${len}`);
    },
    tlvs(l, [n], done) {
        const t = Buffer.alloc(4 * Number(n));
        for (let i = 0; i < Number(n); i++) t.writeUInt16BE(0x1400 + (i % 0x3000), 4 * i);
        const p = deliverSm('447700900011', 0x04, 0, 0, Buffer.from('id:ffffffff stat:DELIVRD'), t);
        for (const s of l) s.write(p);
        done(`sent deliver_sm of ${p.length} octets with ${n} TLVs`);
    },
    concat(l, [n], done) {
        // TS 23.040 §9.2.3.24.8: IEI 08 (16-bit reference), 2 parts, part 1;
        // IEI 71 (response packet) on the first segment, TS 31.115 §4.2.
        for (let i = 0; i < Number(n); i++) {
            const ud = Buffer.from([8, 8, 4, (i >> 8) & 0xff, i & 0xff, 2, 1, 0x71, 0, 2, 0x71, 0]);
            const p = deliverSm('4477009' + String(i % 100000).padStart(5, '0'), 0x40, 0x7f, 0xf6, ud);
            for (const s of l) s.write(p);
        }
        done(`sent ${n} first segments`);
    },
    unknown(l, [n, rate], done) {
        let sent = 0;
        const per = Math.max(1, Math.round(Number(rate) / 100));
        const t = setInterval(() => {
            for (let k = 0; k < per && sent < Number(n); k++, sent++) {
                const id = (0xf0000000 + sent).toString(16);
                const txt = `id:${id} sub:001 dlvrd:001 submit date:2611251200 done date:2611251200 stat:DELIVRD err:000 text:`;
                const p = deliverSm('447700900011', 0x04, 0, 0, Buffer.from(txt));
                for (const s of l) if (!s.destroyed) s.write(p);
            }
            if (sent >= Number(n)) { clearInterval(t); done(`sent ${sent} receipts`); }
        }, 10);
    },
};

net.createServer((c) => {
    let line = '';
    c.on('data', (d) => {
        line += d.toString();
        const i = line.indexOf('\n');
        if (i < 0) return;
        const [cmd, ...args] = line.slice(0, i).trim().split(/\s+/);
        line = '';
        if (cmd === 'stats') { c.end(JSON.stringify(st) + '\n'); return; }
        if (!attacks[cmd]) { c.end('error unknown command\n'); return; }
        bound((l) => {
            if (!l) { c.end('error no bound link\n'); return; }
            attacks[cmd](l, args, (what) => c.end(`ok ${what}\n`));
        });
    });
    c.on('error', () => {});
}).listen(Number(opt.ctl), '127.0.0.1');
