// restore-agent: the in-pod executable. Everything lives in agent/cli.cpp and the commands.
#include "agent/cli/cli.h"

int main(int argc, char** argv) { return ra::RunCli(argc, argv); }
