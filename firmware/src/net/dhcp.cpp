#include "dhcp.h"
#include <Arduino.h>
#include <stddef.h>
#include <string.h>
#include "wiznet.h"

constexpr uint16_t DHCP_CLIENT_PORT = 68;
constexpr uint16_t DHCP_SERVER_PORT = 67;
enum BootpOp : uint8_t { BOOTREQUEST = 1, BOOTREPLY = 2 };
enum DhcpMessage : uint8_t {
  MSG_DISCOVER = 1,
  MSG_OFFER = 2,
  MSG_REQUEST = 3,
  MSG_ACK = 5,
  MSG_NAK = 6
};
enum DhcpOption : uint8_t {
  OPT_SUBNET = 1,
  OPT_ROUTER = 3,
  OPT_DNS = 6,
  OPT_REQUESTED_IP = 50,
  OPT_LEASE = 51,
  OPT_MSG_TYPE = 53,
  OPT_SERVER_ID = 54,
  OPT_PARAMS = 55,
  OPT_T1 = 58,
  OPT_T2 = 59,
  OPT_END = 255,
};
constexpr uint8_t OFF_XID = 4;
constexpr uint8_t OFF_CIADDR = 12;
constexpr uint8_t OFF_YIADDR = 16;
constexpr uint8_t OFF_CHADDR = 28;
constexpr uint8_t OFF_MAGIC = 236;
constexpr uint8_t OFF_OPTIONS = 240;
constexpr uint16_t MIN_MESSAGE = 300;  // BOOTP minimum; some servers drop shorter requests

DhcpLease dhcpLease;

static const uint8_t *mac;
static uint32_t xid, sentAt, boundAt, nextTry;  // nextTry: seconds after boundAt
static uint8_t phase, tries;
constexpr uint8_t BROADCAST[4] = {255, 255, 255, 255};
constexpr uint8_t MAGIC_COOKIE[4] = {99, 130, 83, 99};

static void send(uint8_t type) {
  const uint8_t s = W5_SOCK_UDP;
  const bool renewing = phase == DP_RENEWING || phase == DP_REBINDING;
  // Renewal goes to the server that gave the lease, the rest is broadcast.
  w5SetDest(s, phase == DP_RENEWING ? dhcpLease.server : BROADCAST, DHCP_SERVER_PORT);
  uint8_t head[OFF_CHADDR] = {BOOTREQUEST, 1, 6, 0};
  head[OFF_XID] = xid >> 24;
  head[OFF_XID + 1] = xid >> 16;
  head[OFF_XID + 2] = xid >> 8;
  head[OFF_XID + 3] = xid;
  head[10] = renewing ? 0 : 0x80;  // ask for a broadcast reply while we have no address
  if (renewing) memcpy(head + OFF_CIADDR, dhcpLease.ip, 4);
  w5TxPut(s, head, sizeof head);
  w5TxPut(s, mac, 6);
  w5TxFill(s, 0, OFF_MAGIC - OFF_CHADDR - 6);
  w5TxPut(s, MAGIC_COOKIE, 4);
  uint8_t opt[] = {OPT_MSG_TYPE, 1,          type,    OPT_PARAMS, 4,
                   OPT_SUBNET,   OPT_ROUTER, OPT_DNS, OPT_LEASE};
  w5TxPut(s, opt, sizeof opt);
  uint16_t len = OFF_OPTIONS + sizeof opt;
  if (phase == DP_REQUESTING) {  // RFC 2131 table 5: only while selecting
    uint8_t req[] = {OPT_REQUESTED_IP, 4, 0, 0, 0, 0, OPT_SERVER_ID, 4, 0, 0, 0, 0};
    memcpy(req + 2, dhcpLease.ip, 4);
    memcpy(req + 8, dhcpLease.server, 4);
    w5TxPut(s, req, sizeof req);
    len += sizeof req;
  }
  w5TxFill(s, OPT_END, 1);
  w5TxFill(s, 0, MIN_MESSAGE - len - 1);
  w5TxSend(s);
  sentAt = millis();
}

void dhcpStart(const uint8_t *macAddr) {
  mac = macAddr;
  xid = ((uint32_t)mac[4] << 24 | (uint32_t)mac[5] << 16) ^ micros();
  tries = 1;
  w5Open(W5_SOCK_UDP, W5_PROTO_UDP, DHCP_CLIENT_PORT);
  phase = DP_SELECTING;
  send(MSG_DISCOVER);
}

bool dhcpHeld() { return phase >= DP_BOUND && phase <= DP_REBINDING; }

static uint32_t peek32(uint16_t off) {
  uint32_t v = 0;
  for (uint8_t i = 0; i < 4; i++) v = v << 8 | w5RxPeek(W5_SOCK_UDP, off + i);
  return v;
}

static void peekN(uint16_t off, uint8_t *out, uint8_t n) {
  for (uint8_t i = 0; i < n; i++) out[i] = w5RxPeek(W5_SOCK_UDP, off + i);
}

// The options kept from a reply and where they go in dhcpLease: addresses byte
// for byte, from `seconds` on 32-bit numbers (big-endian on the wire). A table
// instead of an if-chain of copies.
struct KeptOption {
  uint8_t code, offset;
};
static const KeptOption KEPT[] PROGMEM = {
    {OPT_SUBNET, offsetof(DhcpLease, mask)},   {OPT_ROUTER, offsetof(DhcpLease, gw)},
    {OPT_DNS, offsetof(DhcpLease, dns)},       {OPT_SERVER_ID, offsetof(DhcpLease, server)},
    {OPT_LEASE, offsetof(DhcpLease, seconds)}, {OPT_T1, offsetof(DhcpLease, t1)},
    {OPT_T2, offsetof(DhcpLease, t2)},
};

// Reads one datagram; returns its DHCP message type if it is a reply to us.
static uint8_t receive() {
  const uint8_t s = W5_SOCK_UDP;
  uint16_t avail = w5RxSize(s);
  if (avail < W5_UDP_HEADER) return 0;
  uint16_t len = (uint16_t)w5RxPeek(s, 6) << 8 | w5RxPeek(s, 7);
  const uint16_t p = W5_UDP_HEADER;
  uint8_t type = 0;
  bool mine = len >= OFF_OPTIONS && len <= avail - W5_UDP_HEADER && w5RxPeek(s, p) == BOOTREPLY &&
              peek32(p + OFF_XID) == xid && peek32(p + OFF_MAGIC) == 0x63825363UL;
  for (uint8_t i = 0; mine && i < 6; i++) mine = w5RxPeek(s, p + OFF_CHADDR + i) == mac[i];
  if (mine) {
    uint8_t yi[4];
    peekN(p + OFF_YIADDR, yi, 4);
    dhcpLease.t1 = dhcpLease.t2 = 0;
    for (uint16_t o = OFF_OPTIONS; o + 1 < len;) {
      uint8_t code = w5RxPeek(s, p + o);
      if (code == OPT_END) break;
      if (code == 0) {
        o++;
        continue;
      }
      uint8_t n = w5RxPeek(s, p + o + 1);
      uint16_t v = p + o + 2;
      if (o + 2 + n > len) break;
      if (code == OPT_MSG_TYPE && n == 1)
        type = w5RxPeek(s, v);
      else if (n >= 4) {
        for (uint8_t i = 0; i < sizeof KEPT / sizeof KEPT[0]; i++) {
          if (pgm_read_byte(&KEPT[i].code) != code) continue;
          uint8_t off = pgm_read_byte(&KEPT[i].offset);
          uint8_t *to = reinterpret_cast<uint8_t *>(&dhcpLease) + off;
          if (off < offsetof(DhcpLease, seconds)) {
            peekN(v, to, 4);
          } else {
            uint32_t number = peek32(v);
            memcpy(to, &number, 4);
          }
        }
      }
      o += 2 + n;
    }
    if (type == MSG_OFFER || type == MSG_ACK) memcpy(dhcpLease.ip, yi, 4);
  }
  w5RxSkip(s, W5_UDP_HEADER + (len <= avail - W5_UDP_HEADER ? len : avail - W5_UDP_HEADER));
  return type;
}

// T1 and T2 default to 1/2 and 7/8 of the lease (RFC 2131 4.4.5). Odd values
// from the server need no checks: renewTimers() goes by whichever comes first.
static void bind() {
  DhcpLease &l = dhcpLease;
  if (!l.t1) l.t1 = l.seconds / 2;
  if (!l.t2) l.t2 = l.seconds - l.seconds / 8;
  nextTry = l.t1;
  phase = DP_BOUND;
  boundAt = millis();
  w5Close(W5_SOCK_UDP);
}

// From T1 a unicast REQUEST to the server, from T2 a broadcast one, each
// repeated halfway to the next step (at least DHCP_RETRY_MIN_S apart); the
// lease is gone at its end. Times are seconds after the ACK, so leases beyond
// millis()'s 49 days (and infinite ones) are never renewed nor lost.
static void renewTimers() {
  uint32_t held = (millis() - boundAt) / 1000;
  const DhcpLease &l = dhcpLease;
  if (held < nextTry) return;
  if (held >= l.seconds) {
    phase = DP_EXPIRED;
    w5Close(W5_SOCK_UDP);
    return;
  }
  if (phase == DP_BOUND) w5Open(W5_SOCK_UDP, W5_PROTO_UDP, DHCP_CLIENT_PORT);
  phase = held >= l.t2 ? DP_REBINDING : DP_RENEWING;
  uint32_t end = phase == DP_RENEWING ? l.t2 : l.seconds;
  uint32_t wait = (end - held) / 2;
  nextTry = held + (wait > DHCP_RETRY_MIN_S ? wait : DHCP_RETRY_MIN_S);
  if (nextTry > end) nextTry = end;
  xid++;
  send(MSG_REQUEST);
}

uint8_t dhcpPoll() {
  if (dhcpHeld()) renewTimers();
  if (phase == DP_BOUND || phase > DP_REBINDING || phase == DP_IDLE) return phase;
  uint8_t type = receive();
  if (phase == DP_SELECTING) {
    if (type == MSG_OFFER) {
      phase = DP_REQUESTING;
      send(MSG_REQUEST);
      return phase;
    }
  } else if (type == MSG_ACK) {
    bind();
    return phase;
  } else if (type == MSG_NAK) {
    phase = DP_REFUSED;
    w5Close(W5_SOCK_UDP);
    return phase;
  }
  // Renewing and rebinding retransmit on their own clock (renewTimers).
  if (phase <= DP_REQUESTING && millis() - sentAt > DHCP_REPLY_MS) {
    if (++tries > DHCP_TRIES) {
      phase = DP_FAILED;
      w5Close(W5_SOCK_UDP);
    } else {
      xid++;
      send(phase == DP_SELECTING ? MSG_DISCOVER : MSG_REQUEST);
    }
  }
  return phase;
}
