// W5100 register map and bit values (WIZnet W5100 datasheet v1.2, sections 3-4).

// SPI opcodes
export const OP_WRITE = 0xf0,
  OP_READ = 0x0f;

// Common registers
export const MR = 0x0000,
  GAR = 0x0001,
  SUBR = 0x0005,
  SHAR = 0x0009,
  SIPR = 0x000f,
  IR = 0x0015,
  IMR = 0x0016,
  RTR = 0x0017,
  RCR = 0x0019,
  RMSR = 0x001a,
  TMSR = 0x001b,
  PATR = 0x001c,
  PTIMER = 0x0028,
  PMAGIC = 0x0029,
  UIPR = 0x002a,
  UPORT = 0x002e;
export const MR_RST = 0x80,
  MR_PB = 0x10,
  MR_PPPOE = 0x08,
  MR_AI = 0x02,
  MR_IND = 0x01;
export const IR_CONFLICT = 0x80,
  IR_UNREACH = 0x40,
  IR_PPPOE = 0x20;

// Socket registers, offsets from SOCKET_BASE + n * SOCKET_STRIDE; the family
// shares the layout and the command codes (wiznet-chip.ts) except Sn_PROTO.
export const SOCKETS = 4,
  SOCKET_BASE = 0x0400,
  SOCKET_STRIDE = 0x0100;
export const Sn_PROTO = 0x14;
// Protocol, status, interrupt and command codes are the same across the WIZnet family.
export {
  Sn_MR,
  Sn_CR,
  Sn_IR,
  Sn_SR,
  Sn_PORT,
  Sn_DHAR,
  Sn_DIPR,
  Sn_DPORT,
  Sn_MSSR,
  Sn_TOS,
  Sn_TTL,
  Sn_TX_FSR,
  Sn_TX_RD,
  Sn_TX_WR,
  Sn_RX_RSR,
  Sn_RX_RD,
  Sn_RX_WR,
  Sn_MR_PROTO,
  Sn_MR_MULTI,
  CMD,
  Sn_MR_CLOSE,
  Sn_MR_TCP,
  Sn_MR_UDP,
  Sn_MR_IPRAW,
  Sn_MR_MACRAW,
  SR,
  SnIR_SEND_OK,
  SnIR_TIMEOUT,
  SnIR_RECV,
  SnIR_DISCON,
  SnIR_CON,
} from './wiznet-chip.ts';

// Buffer memory
export const TX_BASE = 0x4000,
  RX_BASE = 0x6000,
  BUF_TOTAL = 0x2000,
  MEM_SIZE = 0x8000;
