# GatedGCN + learned graph norm on SBM CLUSTER (benchmarking-gnns protocol, ~100k params).
# Run:      make train-graphnorm CONFIG=configs/gatedgcn_learned_cluster.py
#           (single norms: ARGS="--cfg-options norm=graph", etc.)
# Paper:    GPU (official code: configs/SBMs_node_clustering_GatedGCN_CLUSTER_100k.json);
#           benchmarking-gnns BatchNorm baseline 73.84 ± 0.33 balanced accuracy (500k params).
#           This run: not made here (10k graphs x up to 1000 epochs is GPU-scale work).
# Expected: balanced accuracy in the low 70s.
task = "cluster"
num_graphs = (10000, 1000, 1000)  # benchmark split sizes
model = "gatedgcn"
norm = "learned"
lambda_param = "softmax"  # official UnitedNormSoftmax; "sum" = λ_k / Σ_j λ_j (UnitedNorm)
num_layers = 4  # L
hidden = 70
dropout = 0.0
residual = True
epochs = 1000
batch_size = 128
lr = 1e-3
lr_reduce_factor = 0.5
lr_patience = 5
min_lr = 1e-5
seed = 41
