"""``make bench``: the web benchmark (bench/web_bench.py) with its defaults; see its --help."""

from bench.web_bench import main

main()
