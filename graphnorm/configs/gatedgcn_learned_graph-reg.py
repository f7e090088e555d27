# GatedGCN + learned graph norm, graph regression of an additive property of ZINC-like graphs
# (ZINC itself is a download; same fields: atom type x [N,1], bond type edge_attr [E]).
# Run:      make train-graphnorm CONFIG=configs/gatedgcn_learned_graph-reg.py
# Paper:    ZINC on GPU; benchmarking-gnns GatedGCN-PE 0.214 ± 0.006 MAE (different data).
#           This run: not made here at this size.
# Expected: MAE below the quick config's.
_base_ = "gatedgcn_learned_cluster.py"
task = "graph_reg"
num_graphs = (10000, 1000, 1000)  # ZINC subset sizes
lr_patience = 10  # official molecules_graph_regression_GatedGCN_ZINC_100k.json
