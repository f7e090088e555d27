# Quick CPU run: GCN + learned graph norm on a small regenerated SBM CLUSTER (the default of
# `make train-graphnorm`, and the node-classification row of `make reproduce-graphnorm`).
# Run:      make train-graphnorm            (or python tools/train.py)
# Hardware: 1 CPU thread, ~16 s CPU time.
# Paper:    GPU, 10k graphs, 1000 epochs (../gcn_learned_cluster.py).
# Expected: test balanced accuracy ~35-45 (6 classes: chance is 16.7); measured 43.0 at
#           seed 41, 37.6 ± 3.1 over seeds 0-2 (README).
task = "cluster"
num_graphs = (200, 50, 50)  # benchmark generator parameters, 2% of its graphs
model = "gcn"
norm = "learned"
lambda_param = "softmax"  # normalised λ: softmax over the 4 norms per channel
num_layers = 4  # L
hidden = 32
epochs = 15
batch_size = 16
lr = 2e-3
lr_patience = 5
seed = 41
