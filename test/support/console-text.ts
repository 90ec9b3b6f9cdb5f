// What a pmlcd-sim run printed, as the serial console alone: its LCD redraws (ESC[s ... ESC[u)
// can land in the middle of a serial line.
export const consoleText = (out: string) => out.replace(/\x1b\[s[\s\S]*?\x1b\[u/g, '');
