# GCN + learned graph norm on Cora (Planetoid public split), full-batch.
# Needs the Planetoid raw files locally (nothing is downloaded): data_dir is the folder that
# holds Cora/raw/ind.cora.*; they are copied under data_root because PyG writes processed/.
# Run:      make train-graphnorm CONFIG=configs/gcn_learned_cora.py \
#                ARGS="--data-dir ../../shared/data/planetoid"
# Paper:    no Cora row is available; a plain 2-layer GCN reaches ~81.5 test accuracy.
# Expected: test accuracy around 75-80 (see README for the measured number).
task = "cora"
data_dir = "../../shared/data/planetoid"
model = "gcn"
norm = "learned"
num_layers = 2
hidden = 64
dropout = 0.5
residual = False
epochs = 200
lr = 0.01
weight_decay = 5e-4
lr_patience = 1000  # no plateau schedule: fixed 200 epochs
seed = 41
