#!/usr/bin/env bash
# Run a subproject entrypoint on one process, or on GPUS x NNODES processes through torchrun.
#
# usage: tools/launch.sh PYTHON SCRIPT [ARGS...]
# env:   GPUS (processes per node, default 1), NNODES (default 1), NODE_RANK (default 0),
#        MASTER_ADDR (default 127.0.0.1), MASTER_PORT (default 29500)
#
# With more than one process the script gets `--launcher pytorch` (the mmengine convention,
# which every trainer in this repo accepts) and reads RANK/WORLD_SIZE/LOCAL_RANK from torchrun.
# Each trainer picks nccl when CUDA is available and gloo otherwise.
set -euo pipefail

python=${1:?usage: launch.sh PYTHON SCRIPT [ARGS...]}
script=${2:?usage: launch.sh PYTHON SCRIPT [ARGS...]}
shift 2

gpus=${GPUS:-1}
nnodes=${NNODES:-1}
if [ "$gpus" -eq 1 ] && [ "$nnodes" -eq 1 ]; then
  exec "$python" "$script" "$@"
fi

# One CPU thread per process unless the caller chose: torchrun's default of 1 is right for
# GPU work, and on CPU N processes x all cores only oversubscribe.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
exec "$python" -m torch.distributed.run \
  --nnodes="$nnodes" --node_rank="${NODE_RANK:-0}" \
  --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${MASTER_PORT:-29500}" \
  --nproc_per_node="$gpus" \
  "$script" --launcher pytorch "$@"
