"""The load and interchange benchmark (`make bench`); see bench/README.md."""
