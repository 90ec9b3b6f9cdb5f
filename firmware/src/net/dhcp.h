// DHCP client (RFC 2131) on W5100 socket W5_SOCK_UDP, polled from the main
// loop: DISCOVER -> OFFER -> REQUEST -> ACK, then, while the lease is held,
// a unicast REQUEST to the server from T1 (renewing), a broadcast one from T2
// (rebinding), and DP_EXPIRED when the lease runs out.
#pragma once
#include <stdint.h>

constexpr uint32_t DHCP_REPLY_MS = 4000UL;  // wait for each OFFER/ACK
constexpr uint8_t DHCP_TRIES = 3;           // DISCOVERs before giving up (the caller backs off)
constexpr uint8_t DHCP_RETRY_MIN_S =
    60;  // RFC 2131 4.4.5: renewal retransmissions at most this often

// In this order: DP_BOUND..DP_REBINDING hold an address.
enum DhcpPhase : uint8_t {
  DP_IDLE,
  DP_SELECTING,
  DP_REQUESTING,
  DP_BOUND,
  DP_RENEWING,
  DP_REBINDING,
  DP_FAILED,
  DP_REFUSED,
  DP_EXPIRED,
};

struct DhcpLease {
  uint8_t ip[4], mask[4], gw[4], dns[4], server[4];
  uint32_t seconds, t1, t2;  // from the ACK (options 51, 58, 59); T1, T2 default to 1/2 and 7/8
};

extern DhcpLease dhcpLease;

// Starts over from INIT: DISCOVER.
void dhcpStart(const uint8_t mac[6]);
// Makes progress and returns the phase. While an address is held this also
// renews it; a NAK then gives DP_REFUSED and running out DP_EXPIRED: the
// address must no longer be used.
uint8_t dhcpPoll();
bool dhcpHeld();
