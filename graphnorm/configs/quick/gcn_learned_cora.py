# Quick CPU run: 2-layer GCN + learned norm on Cora (Planetoid public split), 100 epochs.
# Needs the Planetoid raw files locally (nothing is downloaded): data_dir is the folder that
# holds Cora/raw/ind.cora.*; they are copied under data_root because PyG writes processed/.
# Run:      make train-graphnorm CONFIG=configs/quick/gcn_learned_cora.py
# Hardware: 1 CPU thread, ~10 s.
# Expected: test accuracy ~75-80 (see the README for the measured number).
_base_ = "../gcn_learned_cora.py"
epochs = 100
