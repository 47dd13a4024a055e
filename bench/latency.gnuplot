# Per-run latency of a warm run (fresh context + `1 + 1`), as cumulative distributions.
set terminal pngcairo size 900,500 font ",10"
set output dir.'/latency.png'
set title 'Warm run latency: fresh context + trivial script (one run of bench/run)'
set xlabel 'milliseconds per run (log scale)'
set ylabel 'fraction of runs at or below'
set logscale x
set key bottom right
set grid
files = system('ls '.dir.'/latency-*.dat')
plot for [f in files] f using 1:2 with lines linewidth 2 \
  title system('basename '.f.' .dat | sed s/latency-//')
