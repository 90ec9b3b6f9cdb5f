// DHCP client (RFC 2131) on W5100 socket W5_SOCK_UDP, polled from the main
// loop: DISCOVER -> OFFER -> REQUEST -> ACK, renewal at T1 = lease/2.
#pragma once
#include <stdint.h>

#define DHCP_REPLY_MS 4000UL  // wait for each OFFER/ACK
#define DHCP_TRIES 3          // DISCOVERs before giving up (the caller backs off)

enum DhcpPhase : uint8_t { DP_IDLE, DP_SELECTING, DP_REQUESTING, DP_BOUND, DP_FAILED, DP_REFUSED };

struct DhcpLease {
  uint8_t ip[4], mask[4], gw[4], dns[4], server[4];
  uint32_t seconds;
};

extern DhcpLease dhcpLease;

// renew: keep the current address and ask the server to extend it.
void dhcpStart(const uint8_t mac[6], bool renew);
uint8_t dhcpPoll();
// Milliseconds since the lease was acquired passed T1.
bool dhcpRenewDue();
