// SIGINT/SIGTERM ask the running command to stop at the next safe point (between statements);
// the command then reports how far it got. A second signal ends the process at once.
#pragma once

namespace ra {

void InstallStopHandlers();
bool StopRequested();
int StopSignal();  // the signal that asked to stop, 0 if none

}  // namespace ra
