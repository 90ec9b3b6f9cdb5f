// Serial protocol v1, host side of the board (docs/protocol.md): one line in,
// one OK/ERR line out, sent after the command has been applied.
#pragma once
#include "line_reader.h"

// Handles a finished line (the status lineFeed() returned; text in lineText()).
void protocolLine(LineStatus status);
// "PMLCD 1 fw=... lcd=16x2 mode=... reset=... cfg=..." and a newline.
void protocolBanner();
