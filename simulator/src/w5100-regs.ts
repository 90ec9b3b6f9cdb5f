// W5100 register map and bit values (WIZnet W5100 datasheet v1.2, sections 3-4).

// SPI opcodes
export const OP_WRITE = 0xf0, OP_READ = 0x0f;

// Common registers
export const MR = 0x0000, GAR = 0x0001, SUBR = 0x0005, SHAR = 0x0009, SIPR = 0x000f, IR = 0x0015, IMR = 0x0016,
  RTR = 0x0017, RCR = 0x0019, RMSR = 0x001a, TMSR = 0x001b, PATR = 0x001c, PTIMER = 0x0028, PMAGIC = 0x0029,
  UIPR = 0x002a, UPORT = 0x002e;
export const MR_RST = 0x80, MR_PB = 0x10, MR_PPPOE = 0x08, MR_AI = 0x02, MR_IND = 0x01;
export const IR_CONFLICT = 0x80, IR_UNREACH = 0x40, IR_PPPOE = 0x20;

// Socket registers, offsets from SOCKET_BASE + n * SOCKET_STRIDE
export const SOCKETS = 4, SOCKET_BASE = 0x0400, SOCKET_STRIDE = 0x0100;
export const Sn_MR = 0x00, Sn_CR = 0x01, Sn_IR = 0x02, Sn_SR = 0x03, Sn_PORT = 0x04, Sn_DHAR = 0x06, Sn_DIPR = 0x0c,
  Sn_DPORT = 0x10, Sn_MSSR = 0x12, Sn_PROTO = 0x14, Sn_TOS = 0x15, Sn_TTL = 0x16, Sn_TX_FSR = 0x20, Sn_TX_RD = 0x22,
  Sn_TX_WR = 0x24, Sn_RX_RSR = 0x26, Sn_RX_RD = 0x28, Sn_RX_WR = 0x2a;
/** Sn_MR protocol, low nibble (Arduino writes 0x21: TCP with the no-delayed-ACK flag). */
export const Sn_MR_PROTO = 0x0f;
// Protocol, status and interrupt codes are the same across the WIZnet family.
export {
  Sn_MR_CLOSE, Sn_MR_TCP, Sn_MR_UDP, Sn_MR_IPRAW, Sn_MR_MACRAW, SR, SnIR_SEND_OK, SnIR_TIMEOUT, SnIR_RECV, SnIR_DISCON,
  SnIR_CON,
} from './wiznet-chip.ts';
export const CMD = {
  OPEN: 0x01, LISTEN: 0x02, CONNECT: 0x04, DISCON: 0x08, CLOSE: 0x10,
  SEND: 0x20, SEND_MAC: 0x21, SEND_KEEP: 0x22, RECV: 0x40,
} as const;

// Buffer memory
export const TX_BASE = 0x4000, RX_BASE = 0x6000, BUF_TOTAL = 0x2000, MEM_SIZE = 0x8000;
