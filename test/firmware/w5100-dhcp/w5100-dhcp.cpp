// Test firmware: obtains an address by DHCP (DISCOVER, OFFER, REQUEST, ACK)
// through the W5100, then looks two names up by DNS, and prints:
//   IP=a.b.c.d MASK=... GW=... DNS=... LEASE=<s> SERVER=...
//   DNS pmproxy.lan=a.b.c.d | DNS nope.lan NXDOMAIN | DNS <name> TIMEOUT
// or "DHCP NAK" / "DHCP TIMEOUT", then DONE.
#include <Arduino.h>
#include <string.h>
#include "../w5100-http/w5100_io.h"

using namespace w5100;

constexpr uint8_t SOCK = 0;
constexpr uint8_t MAC[6] = {0xDE, 0xAD, 0xBE, 0xEF, 0xFE, 0x02};
constexpr uint8_t ZERO[4] = {0, 0, 0, 0};
constexpr uint8_t BROADCAST[4] = {255, 255, 255, 255};
constexpr uint16_t DHCP_SERVER_PORT = 67, DHCP_CLIENT_PORT = 68, DNS_PORT = 53,
                   DNS_LOCAL_PORT = 1053;
constexpr uint16_t REPLY_TIMEOUT_MS = 1000;
constexpr uint8_t UDP_HEADER = 8;
constexpr uint16_t BOOTP_FIXED = 236;  // op .. file, before the magic cookie
constexpr uint16_t PACKET_MAX = 400;   // DHCP replies are 300-576 bytes; keep what fits
enum DhcpMessage : uint8_t {
  DHCPDISCOVER = 1,
  DHCPOFFER = 2,
  DHCPREQUEST = 3,
  DHCPACK = 5,
  DHCPNAK = 6
};
constexpr uint32_t XID = 0x504D4C43;  // "PMLC"

static uint8_t packet[PACKET_MAX];
static uint8_t yiaddr[4], serverId[4], mask[4], router[4], dns[4];
static uint32_t lease;

/** Waits for one datagram and copies its payload into packet; returns its length, 0 on timeout. */
static uint16_t receive(uint8_t *fromIp, uint16_t *fromPort) {
  uint32_t t0 = millis();
  while (read16Stable(sreg(SOCK, SN_RX_RSR)) < UDP_HEADER) {
    if (millis() - t0 > REPLY_TIMEOUT_MS) return 0;
  }
  uint8_t h[UDP_HEADER];
  rxGet(SOCK, 0, h, UDP_HEADER);
  uint16_t len = ((uint16_t)h[6] << 8) | h[7];
  uint16_t keep = len < PACKET_MAX ? len : PACKET_MAX;
  rxGet(SOCK, UDP_HEADER, packet, keep);
  rxDone(SOCK, UDP_HEADER + len);
  memcpy(fromIp, h, 4);
  *fromPort = ((uint16_t)h[4] << 8) | h[5];
  return keep;
}

/** Builds a DHCP message in packet; returns its length. */
static uint16_t buildDhcp(uint8_t type) {
  memset(packet, 0, 300);
  packet[0] = 1;  // BOOTREQUEST
  packet[1] = 1;  // Ethernet
  packet[2] = 6;
  for (uint8_t k = 0; k < 4; k++) packet[4 + k] = (uint8_t)(XID >> (24 - 8 * k));
  packet[10] = 0x80;  // broadcast flag: we have no address yet
  memcpy(packet + 28, MAC, 6);
  uint16_t i = BOOTP_FIXED;
  const uint8_t cookie[4] = {0x63, 0x82, 0x53, 0x63};
  memcpy(packet + i, cookie, 4);
  i += 4;
  packet[i++] = 53;
  packet[i++] = 1;
  packet[i++] = type;
  if (type == DHCPREQUEST) {
    packet[i++] = 50;
    packet[i++] = 4;
    memcpy(packet + i, yiaddr, 4);
    i += 4;
    packet[i++] = 54;
    packet[i++] = 4;
    memcpy(packet + i, serverId, 4);
    i += 4;
  }
  packet[i++] = 55;
  packet[i++] = 3;
  packet[i++] = 1;
  packet[i++] = 3;
  packet[i++] = 6;
  packet[i++] = 255;
  return i < 300 ? 300 : i;
}

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/** Waits for a BOOTREPLY to our xid and MAC from port 67; returns its DHCP type (0 on timeout). */
static uint8_t awaitReply() {
  uint8_t from[4];
  uint16_t port;
  for (;;) {
    uint16_t len = receive(from, &port);
    if (len == 0) return 0;
    if (len < BOOTP_FIXED + 4 || port != DHCP_SERVER_PORT || packet[0] != 2 ||
        be32(packet + 4) != XID || memcmp(packet + 28, MAC, 6) != 0)
      continue;
    uint8_t type = 0;
    for (uint16_t i = BOOTP_FIXED + 4; i + 1 < len && packet[i] != 255;) {
      uint8_t code = packet[i], n = packet[i + 1];
      if (code == 0) {
        i++;
        continue;
      }
      const uint8_t *v = packet + i + 2;
      if (i + 2 + n > len) break;
      if (code == 53 && n == 1) type = v[0];
      if (code == 54 && n == 4) memcpy(serverId, v, 4);
      if (code == 1 && n == 4) memcpy(mask, v, 4);
      if (code == 3 && n >= 4) memcpy(router, v, 4);
      if (code == 6 && n >= 4) memcpy(dns, v, 4);
      if (code == 51 && n == 4) lease = be32(v);
      i += 2 + n;
    }
    memcpy(yiaddr, packet + 16, 4);
    return type;
  }
}

static bool dhcp() {
  if (!open(SOCK, MR_UDP, DHCP_CLIENT_PORT, SR_UDP)) {
    Serial.println(F("ERR open"));
    return false;
  }
  setDest(SOCK, BROADCAST, DHCP_SERVER_PORT);
  uint16_t n = buildDhcp(DHCPDISCOVER);
  txPut(SOCK, 0, packet, n, false);
  send(SOCK, n);
  uint8_t type = awaitReply();
  if (type != DHCPOFFER) {
    Serial.println(type ? F("DHCP unexpected") : F("DHCP TIMEOUT"));
    return false;
  }
  n = buildDhcp(DHCPREQUEST);
  txPut(SOCK, 0, packet, n, false);
  send(SOCK, n);
  type = awaitReply();
  command(SOCK, CR_CLOSE);
  if (type == DHCPNAK) {
    Serial.println(F("DHCP NAK"));
    return false;
  }
  if (type != DHCPACK) {
    Serial.println(F("DHCP TIMEOUT"));
    return false;
  }
  writeBytes(SIPR, yiaddr, 4);
  writeBytes(SUBR, mask, 4);
  writeBytes(GAR, router, 4);
  Serial.print(F("IP="));
  printIp(yiaddr);
  Serial.print(F(" MASK="));
  printIp(mask);
  Serial.print(F(" GW="));
  printIp(router);
  Serial.print(F(" DNS="));
  printIp(dns);
  Serial.print(F(" LEASE="));
  Serial.print(lease);
  Serial.print(F(" SERVER="));
  printIp(serverId);
  Serial.println();
  return true;
}

/** An A query for name (dotted, in flash); prints the answer. */
static void resolve(const __FlashStringHelper *name, uint16_t id) {
  const char *p = (const char *)name;
  uint16_t i = 0;
  packet[i++] = id >> 8;
  packet[i++] = id;
  packet[i++] = 0x01;
  packet[i++] = 0;  // RD
  packet[i++] = 0;
  packet[i++] = 1;  // one question
  memset(packet + i, 0, 6);
  i += 6;
  for (;;) {
    uint16_t lenAt = i++;
    uint8_t n = 0;
    char c;
    while ((c = pgm_read_byte(p++)) != 0 && c != '.') {
      packet[i++] = c;
      n++;
    }
    packet[lenAt] = n;
    if (c == 0) break;
  }
  packet[i++] = 0;
  packet[i++] = 0;
  packet[i++] = 1;  // A
  packet[i++] = 0;
  packet[i++] = 1;  // IN
  open(SOCK, MR_UDP, DNS_LOCAL_PORT, SR_UDP);
  setDest(SOCK, dns, DNS_PORT);
  txPut(SOCK, 0, packet, i, false);
  Serial.print(F("DNS "));
  Serial.print(name);
  if (!send(SOCK, i)) {
    Serial.println(F(" SEND FAILED"));
    return;
  }
  uint8_t from[4];
  uint16_t port, len;
  do {
    len = receive(from, &port);
  } while (len && (port != DNS_PORT || memcmp(from, dns, 4) != 0 || len < 12 ||
                   packet[0] != (id >> 8) || packet[1] != (id & 0xFF)));
  command(SOCK, CR_CLOSE);
  if (!len) {
    Serial.println(F(" TIMEOUT"));
    return;
  }
  uint8_t rcode = packet[3] & 0x0F;
  if (rcode == 3) {
    Serial.println(F(" NXDOMAIN"));
    return;
  }
  // The answer's last 4 bytes are the address when the server sends one A record.
  if (rcode != 0 || packet[7] == 0 || len < 16) {
    Serial.print(F(" RCODE="));
    Serial.println(rcode);
    return;
  }
  Serial.print('=');
  printIp(packet + len - 4);
  Serial.println();
}

void setup() {
  Serial.begin(115200);
  Serial.println(F("BOOT w5100-dhcp"));
  if (!begin(MAC, ZERO, ZERO, ZERO)) {
    Serial.println(F("ERR no W5100"));
    return;
  }
  if (dhcp()) {
    resolve(F("pmproxy.lan"), 0x1001);
    resolve(F("nope.lan"), 0x1002);
  }
  Serial.println(F("DONE"));
}

void loop() {}
