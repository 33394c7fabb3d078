#!/usr/bin/env python3
"""Regenerates the golden vectors in this folder (see README.md).

The segments marked "captured" were recorded from the Linux kernel's own TCP
over the loopback interface. Loopback never computes TCP checksums (it leaves
the pseudo-header sum that checksum offload expects), so this script
completes the checksum; one vector keeps the field as captured.

The expected fields are computed by the small decoder below, written apart
from the Rust code so the two check each other.

Usage: python3 make_vectors.py   (writes *.hex next to this file)
"""
import ipaddress
import os

HERE = os.path.dirname(os.path.abspath(__file__))

CAPTURED_V4 = [
    # SYN, SYN-ACK, ACK, data, FIN from 127.0.0.1:57068 to 127.0.0.1:52551
    "4500003c727940004006ca407f0000017f000001deeccd477f6214ed00000000a002ffd7fe3000000204ffd70402080a8eab8cac000000000103030a",
    "4500003c0000400040063cba7f0000017f000001cd47deec159614ab7f6214eea012ffcbfe3000000204ffd70402080ae345be3c8eab8cac0103030a",
    "45000034727a40004006ca477f0000017f000001deeccd477f6214ee159614ac80100040fe2800000101080a8eab8cace345be3c",
    "45000043727b40004006ca377f0000017f000001deeccd477f6214ee159614ac80180040fe3700000101080a8eab8cace345be3c68656c6c6f20776972657374617465",
    "45000034727d40004006ca447f0000017f000001deeccd477f6214fd159614bc80110040fe2800000101080a8eab8cace345be3c",
]
CAPTURED_V6 = [
    # SYN, SYN-ACK, data from [::1]:33674 to [::1]:37129
    "6001f05e002806400000000000000000000000000000000100000000000000000000000000000001838a9109e4c79bb900000000a002ffc4003000000204ffc40402080a041077e9000000000103030a",
    "600cdd570028064000000000000000000000000000000001000000000000000000000000000000019109838a7d4e0693e4c79bbaa012ffb8003000000204ffc40402080a5693d130041077e90103030a",
    "6001f05e002f06400000000000000000000000000000000100000000000000000000000000000001838a9109e4c79bba7d4e069480180040003700000101080a041077e95693d13068656c6c6f20776972657374617465",
]

FLAG_NAMES = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]


def ones_sum(data):
    if len(data) % 2:
        data = data + b"\0"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
        s = (s & 0xFFFF) + (s >> 16)
    return s


def locate(p):
    """(tcp offset, tcp end, pseudo-header bytes) of an IP packet."""
    if p[0] >> 4 == 4:
        ihl = (p[0] & 15) * 4
        end = int.from_bytes(p[2:4], "big")
        ph = bytes(p[12:20]) + bytes([0, 6]) + (end - ihl).to_bytes(2, "big")
        return ihl, end, ph
    off, nxt = 40, p[6]
    end = 40 + int.from_bytes(p[4:6], "big")
    while nxt in (0, 60, 43):
        nxt, off = p[off], off + (p[off + 1] + 1) * 8
    ph = bytes(p[8:40]) + (end - off).to_bytes(4, "big") + bytes([0, 0, 0, 6])
    return off, end, ph


def fix_checksums(p):
    p = bytearray(p)
    if p[0] >> 4 == 4:
        p[10:12] = b"\0\0"
        ihl = (p[0] & 15) * 4
        p[10:12] = ((~ones_sum(bytes(p[:ihl])) & 0xFFFF)).to_bytes(2, "big")
    off, end, ph = locate(p)
    p[off + 16 : off + 18] = b"\0\0"
    c = ~ones_sum(ph + bytes(p[off:end])) & 0xFFFF
    p[off + 16 : off + 18] = c.to_bytes(2, "big")
    return p


def ipv4(src, dst, segment, ttl=64, options=b"", flags_frag=0x4000, pad=b""):
    ihl = 20 + len(options)
    h = bytearray(20)
    h[0] = 0x40 | ihl // 4
    h[2:4] = (ihl + len(segment)).to_bytes(2, "big")
    h[4:6] = (0x1234).to_bytes(2, "big")
    h[6:8] = flags_frag.to_bytes(2, "big")
    h[8], h[9] = ttl, 6
    h[12:16] = ipaddress.IPv4Address(src).packed
    h[16:20] = ipaddress.IPv4Address(dst).packed
    return fix_checksums(bytes(h) + options + segment) + pad


def ipv6(src, dst, segment, first=6, ext=b"", hop=64):
    h = bytearray(40)
    h[0] = 0x60
    h[4:6] = (len(ext) + len(segment)).to_bytes(2, "big")
    h[6], h[7] = first, hop
    h[8:24] = ipaddress.IPv6Address(src).packed
    h[24:40] = ipaddress.IPv6Address(dst).packed
    return bytearray(bytes(h) + ext + segment)


def tcp(sport, dport, seq, ack, flags, window, options=b"", payload=b"", urgent=0):
    h = bytearray(20)
    h[0:2] = sport.to_bytes(2, "big")
    h[2:4] = dport.to_bytes(2, "big")
    h[4:8] = seq.to_bytes(4, "big")
    h[8:12] = ack.to_bytes(4, "big")
    h[12] = ((20 + len(options)) // 4) << 4
    h[13] = flags
    h[14:16] = window.to_bytes(2, "big")
    h[18:20] = urgent.to_bytes(2, "big")
    return bytes(h) + options + payload


def decode(p):
    """Independent decoder: the expected metadata lines for a valid packet."""
    meta = []
    v = p[0] >> 4
    meta.append(("ip.version", v))
    if v == 4:
        meta += [("ip.src", ipaddress.IPv4Address(bytes(p[12:16]))),
                 ("ip.dst", ipaddress.IPv4Address(bytes(p[16:20]))),
                 ("ip.hop_limit", p[8])]
    else:
        meta += [("ip.src", ipaddress.IPv6Address(bytes(p[8:24]))),
                 ("ip.dst", ipaddress.IPv6Address(bytes(p[24:40]))),
                 ("ip.hop_limit", p[7])]
    off, end, _ = locate(p)
    t = p[off:end]
    hl = (t[12] >> 4) * 4
    flags = [n for i, n in enumerate(FLAG_NAMES) if t[13] & (1 << i)]
    meta += [("tcp.src_port", int.from_bytes(t[0:2], "big")),
             ("tcp.dst_port", int.from_bytes(t[2:4], "big")),
             ("tcp.seq", int.from_bytes(t[4:8], "big")),
             ("tcp.ack", int.from_bytes(t[8:12], "big")),
             ("tcp.flags", "|".join(flags) or "none"),
             ("tcp.window", int.from_bytes(t[14:16], "big")),
             ("tcp.urgent", int.from_bytes(t[18:20], "big"))]
    mss = ws = ts = None
    sackp, sack = "no", []
    i = 20
    while i < hl:
        kind = t[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        ln = t[i + 1]
        d = t[i + 2 : i + ln]
        if kind == 2:
            mss = int.from_bytes(d, "big")
        elif kind == 3:
            ws = d[0]
        elif kind == 4:
            sackp = "yes"
        elif kind == 5:
            sack = ["%d-%d" % (int.from_bytes(d[j:j + 4], "big"), int.from_bytes(d[j + 4:j + 8], "big"))
                    for j in range(0, len(d), 8)]
        elif kind == 8:
            ts = "%d %d" % (int.from_bytes(d[0:4], "big"), int.from_bytes(d[4:8], "big"))
        i += ln
    none = lambda x: "none" if x is None else x
    meta += [("tcp.mss", none(mss)), ("tcp.window_scale", none(ws)),
             ("tcp.sack_permitted", sackp), ("tcp.timestamp", none(ts)),
             ("tcp.sack", " ".join(sack) or "none"),
             ("tcp.payload", bytes(t[hl:]).hex() or "empty")]
    return meta


VECTORS = []


def vector(name, description, packet, result="ok", unverified=None, emit_exact="yes"):
    VECTORS.append((name, description, bytes(packet), result, unverified or result, emit_exact))


def build():
    names = ["syn", "synack", "ack", "data", "fin"]
    for name, h in zip(names, CAPTURED_V4):
        vector("linux_%s_v4" % name, "captured Linux %s over IPv4 loopback, TCP checksum completed" % name.upper(),
               fix_checksums(bytes.fromhex(h)))
    for name, h in zip(["syn", "synack", "data"], CAPTURED_V6):
        vector("linux_%s_v6" % name, "captured Linux %s over IPv6 loopback, TCP checksum completed" % name.upper(),
               fix_checksums(bytes.fromhex(h)))
    vector("linux_syn_v4_partial_checksum",
           "captured Linux SYN exactly as on loopback: the TCP checksum field holds the "
           "pseudo-header sum (fe30) that checksum offload would finish",
           bytes.fromhex(CAPTURED_V4[0]), "checksum", "ok", "no")

    a, b = "192.0.2.1", "198.51.100.7"
    ts_sack = (b"\x01\x01\x08\x0a" + (1000).to_bytes(4, "big") + (2000).to_bytes(4, "big")
               + b"\x01\x01\x05\x1a" + b"".join(x.to_bytes(4, "big") for x in (3000, 4000, 5000, 6000, 7000, 8000)))
    vector("sack_v4", "ACK with timestamps and three SACK blocks",
           ipv4(a, b, tcp(40000, 80, 1, 2001, 0x10, 512, ts_sack)))
    vector("rst_v4", "RST|ACK without options",
           ipv4(b, a, tcp(80, 40000, 2001, 1, 0x14, 0)))
    vector("urgent_ece_cwr_v4", "all eight flags and an urgent pointer, 3-byte payload",
           ipv4(a, b, tcp(1, 65535, 0xFFFFFFFF, 0x80000000, 0xFF, 65535, payload=b"abc", urgent=3)))
    vector("unknown_option_v4", "an unknown option (kind 30, length 6) is skipped; MSS after it counts",
           ipv4(a, b, tcp(40000, 80, 7, 0, 0x02, 1024, bytes([30, 6, 1, 2, 3, 4, 2, 4, 5, 0xb4]) + b"\0\0")),
           emit_exact="no")
    vector("ip_options_and_padding_v4",
           "IPv4 header with 4 option bytes (NOP NOP NOP EOL), followed by 6 bytes of link-layer padding",
           ipv4(a, b, tcp(40000, 80, 9, 10, 0x18, 100, payload=b"hi"), options=b"\x01\x01\x01\x00", pad=b"\0" * 6))
    seg = tcp(40000, 80, 11, 0, 0x02, 1024, b"\x02\x04\x05\xa0")
    ext = bytes([60, 0, 1, 4, 0, 0, 0, 0]) + bytes([6, 0, 1, 4, 0, 0, 0, 0])
    vector("ext_headers_v6", "IPv6 with Hop-by-Hop and Destination Options headers before a SYN",
           fix_checksums(ipv6("2001:db8::1", "2001:db8::2", seg, first=0, ext=ext)))
    frag6 = ipv6("2001:db8::1", "2001:db8::2", seg, first=44, ext=bytes([6, 0, 0, 1, 0, 0, 0, 42]))
    vector("fragment_v6", "IPv6 first fragment (more fragments set): not reassembled", frag6, "unsupported")
    vector("fragment_v4", "IPv4 first fragment (more fragments set): not reassembled",
           ipv4(a, b, seg, flags_frag=0x2000), "unsupported")
    vector("bad_option_zero_length_v4", "option kind 30 with length 0",
           ipv4(a, b, tcp(40000, 80, 1, 0, 0x02, 1024, bytes([30, 0, 0, 0]))), "malformed")
    vector("bad_mss_length_v4", "MSS option with length 3",
           ipv4(a, b, tcp(40000, 80, 1, 0, 0x02, 1024, bytes([2, 3, 5, 1]))), "malformed")
    vector("bad_option_past_header_v4", "option length running past the header into the payload",
           ipv4(a, b, tcp(40000, 80, 1, 0, 0x02, 1024, bytes([1, 1, 30, 8]), payload=b"data")), "malformed")
    bad = bytearray(ipv4(a, b, tcp(40000, 80, 1, 0, 0x02, 1024)))
    bad[-3] ^= 0x40
    vector("bad_tcp_checksum_v4", "SYN with a wrong TCP checksum", bad, "checksum", "ok", "no")
    bad = bytearray(ipv4(a, b, tcp(40000, 80, 1, 0, 0x02, 1024)))
    bad[11] ^= 0x01
    vector("bad_ip_checksum_v4", "SYN with a wrong IPv4 header checksum", bad, "checksum", "ok")
    off = bytearray(ipv4(a, b, tcp(40000, 80, 1, 0, 0x02, 1024)))
    off[20 + 12] = 0x40
    vector("bad_data_offset_v4", "TCP data offset 4 (16 bytes): below the minimum",
           fix_checksums(off), "malformed")
    syn = fix_checksums(bytes.fromhex(CAPTURED_V4[0]))
    vector("truncated_v4", "the captured SYN cut to 50 bytes; total length still says 60",
           syn[:50], "truncated")


def main():
    build()
    for name, description, packet, result, unverified, emit_exact in VECTORS:
        lines = ["description: " + description,
                 "result: " + result, "result_unverified: " + unverified]
        if unverified == "ok":
            lines += ["%s: %s" % kv for kv in decode(packet)]
            lines.append("tcp.emit_exact: " + emit_exact)
        hexs = packet.hex()
        for i in range(0, len(hexs), 32):
            chunk = hexs[i : i + 32]
            lines.append(" ".join(chunk[j : j + 2] for j in range(0, len(chunk), 2)))
        with open(os.path.join(HERE, name + ".hex"), "w") as f:
            f.write("\n".join(lines) + "\n")
    print("wrote %d vectors" % len(VECTORS))


if __name__ == "__main__":
    main()
