#include "dhcp.h"
#include <Arduino.h>
#include <string.h>
#include "w5100.h"

#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67
#define BOOTREQUEST 1
#define BOOTREPLY 2
#define MSG_DISCOVER 1
#define MSG_OFFER 2
#define MSG_REQUEST 3
#define MSG_ACK 5
#define MSG_NAK 6
#define OPT_SUBNET 1
#define OPT_ROUTER 3
#define OPT_DNS 6
#define OPT_REQUESTED_IP 50
#define OPT_LEASE 51
#define OPT_MSG_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_PARAMS 55
#define OPT_END 255
#define OFF_XID 4
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_CHADDR 28
#define OFF_MAGIC 236
#define OFF_OPTIONS 240
#define MIN_MESSAGE 300  // BOOTP minimum; some servers drop shorter requests

DhcpLease dhcpLease;

static const uint8_t *mac;
static uint32_t xid, sentAt, boundAt;
static uint8_t phase, tries;
static bool renewing;
static const uint8_t kBroadcast[4] = {255, 255, 255, 255};
static const uint8_t kMagic[4] = {99, 130, 83, 99};

static void send(uint8_t type) {
  const uint8_t s = W5_SOCK_UDP;
  // Renewal goes to the server that gave the lease, the rest is broadcast.
  w5SetDest(s, renewing ? dhcpLease.server : kBroadcast, DHCP_SERVER_PORT);
  uint8_t head[OFF_CHADDR] = {BOOTREQUEST, 1, 6, 0};
  head[OFF_XID] = xid >> 24; head[OFF_XID + 1] = xid >> 16; head[OFF_XID + 2] = xid >> 8; head[OFF_XID + 3] = xid;
  head[10] = renewing ? 0 : 0x80;  // ask for a broadcast reply while we have no address
  if (renewing) memcpy(head + OFF_CIADDR, dhcpLease.ip, 4);
  w5TxPut(s, head, sizeof head);
  w5TxPut(s, mac, 6);
  w5TxFill(s, 0, OFF_MAGIC - OFF_CHADDR - 6);
  w5TxPut(s, kMagic, 4);
  uint8_t opt[] = {OPT_MSG_TYPE, 1, type, OPT_PARAMS, 4, OPT_SUBNET, OPT_ROUTER, OPT_DNS, OPT_LEASE};
  w5TxPut(s, opt, sizeof opt);
  uint16_t len = OFF_OPTIONS + sizeof opt;
  if (type == MSG_REQUEST && !renewing) {
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

void dhcpStart(const uint8_t *macAddr, bool renew) {
  mac = macAddr;
  renewing = renew;
  xid = ((uint32_t)mac[4] << 24 | (uint32_t)mac[5] << 16) ^ micros();
  tries = 1;
  w5Open(W5_SOCK_UDP, W5_PROTO_UDP, DHCP_CLIENT_PORT);
  phase = renew ? DP_REQUESTING : DP_SELECTING;
  send(renew ? MSG_REQUEST : MSG_DISCOVER);
}

static uint32_t peek32(uint16_t off) {
  uint32_t v = 0;
  for (uint8_t i = 0; i < 4; i++) v = v << 8 | w5RxPeek(W5_SOCK_UDP, off + i);
  return v;
}

static void peekN(uint16_t off, uint8_t *out, uint8_t n) {
  for (uint8_t i = 0; i < n; i++) out[i] = w5RxPeek(W5_SOCK_UDP, off + i);
}

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
    for (uint16_t o = OFF_OPTIONS; o + 1 < len;) {
      uint8_t code = w5RxPeek(s, p + o);
      if (code == OPT_END) break;
      if (code == 0) { o++; continue; }
      uint8_t n = w5RxPeek(s, p + o + 1);
      uint16_t v = p + o + 2;
      if (o + 2 + n > len) break;
      if (code == OPT_MSG_TYPE && n == 1) type = w5RxPeek(s, v);
      else if (n >= 4) {
        if (code == OPT_SUBNET) peekN(v, dhcpLease.mask, 4);
        else if (code == OPT_ROUTER) peekN(v, dhcpLease.gw, 4);
        else if (code == OPT_DNS) peekN(v, dhcpLease.dns, 4);
        else if (code == OPT_SERVER_ID) peekN(v, dhcpLease.server, 4);
        else if (code == OPT_LEASE) dhcpLease.seconds = peek32(v);
      }
      o += 2 + n;
    }
    if (type == MSG_OFFER || type == MSG_ACK) memcpy(dhcpLease.ip, yi, 4);
  }
  w5RxSkip(s, W5_UDP_HEADER + (len <= avail - W5_UDP_HEADER ? len : avail - W5_UDP_HEADER));
  return type;
}

uint8_t dhcpPoll() {
  if (phase != DP_SELECTING && phase != DP_REQUESTING) return phase;
  uint8_t type = receive();
  if (phase == DP_SELECTING && type == MSG_OFFER) {
    phase = DP_REQUESTING;
    send(MSG_REQUEST);
  } else if (phase == DP_REQUESTING && type == MSG_ACK) {
    phase = DP_BOUND;
    boundAt = millis();
    w5Close(W5_SOCK_UDP);
  } else if (phase == DP_REQUESTING && type == MSG_NAK) {
    phase = DP_REFUSED;
    w5Close(W5_SOCK_UDP);
  } else if (millis() - sentAt > DHCP_REPLY_MS) {
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

bool dhcpRenewDue() {
  uint32_t t1 = dhcpLease.seconds / 2;
  if (t1 > 86400UL * 24) t1 = 86400UL * 24;  // millis() arithmetic stays in range
  return phase == DP_BOUND && dhcpLease.seconds != 0xFFFFFFFFUL && millis() - boundAt > t1 * 1000;
}
