// Firmware identity, reported in the banner and by the V command.
#pragma once

#define PMLCD_FW_VERSION "0.1.0"
#define PMLCD_PROTOCOL_VERSION_STR "1"
