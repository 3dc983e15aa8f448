"""Starts Radicale from a config file with fsync off (a privileged option the command line and
config files refuse): test storage need not survive a power cut, and fsync is most of a PUT."""

import sys

from radicale import config, server

if __name__ == "__main__":
    configuration = config.load([(sys.argv[1], False)])
    configuration.update({"storage": {"_filesystem_fsync": "False"}}, "tests", privileged=True)
    server.serve(configuration)
