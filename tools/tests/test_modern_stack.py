"""Walking-skeleton steps on the non-OpenMMLab stack: one real CPU training step per library.

Each test builds a random-init model through the library's own API (no downloads), takes a
loss + backward + optimizer step, and checks that the loss is finite and the weights moved.
"""

from __future__ import annotations

import torch


def step_and_check(model: torch.nn.Module, loss: torch.Tensor) -> None:
    before = [p.detach().clone() for p in model.parameters() if p.requires_grad]
    assert torch.isfinite(loss), loss
    loss.backward()
    torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-2).step()
    after = [p.detach() for p in model.parameters() if p.requires_grad]
    moved = [not torch.equal(a, b) for a, b in zip(before, after, strict=True)]
    assert any(moved), "no parameter changed"


def test_pyg_gcn_step():
    from torch_geometric.data import Data
    from torch_geometric.nn import GCNConv
    from torch_geometric.utils import to_undirected

    torch.manual_seed(0)
    edge_index = to_undirected(torch.randint(0, 20, (2, 60)))
    data = Data(x=torch.randn(20, 8), edge_index=edge_index, y=torch.randint(0, 3, (20,)))
    conv = GCNConv(8, 3)
    out = conv(data.x, data.edge_index)
    assert out.shape == (20, 3)
    step_and_check(conv, torch.nn.functional.cross_entropy(out, data.y))


def test_open_clip_vit_b32_step():
    import open_clip

    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    images = torch.randn(2, 3, 224, 224)
    texts = tokenizer(["a red circle", "two blue squares"])
    out = model(images, texts)
    image_features, text_features, logit_scale = out[:3] if isinstance(out, tuple) else (
        out["image_features"], out["text_features"], out["logit_scale"])
    assert image_features.shape == text_features.shape == (2, 512)
    loss = open_clip.ClipLoss()(image_features, text_features, logit_scale)
    step_and_check(model, loss)


def test_timm_swin_tiny_step():
    import timm

    torch.manual_seed(0)
    model = timm.create_model("swin_tiny_patch4_window7_224", pretrained=False, num_classes=5)
    logits = model(torch.randn(2, 3, 224, 224))
    assert logits.shape == (2, 5)
    step_and_check(model, torch.nn.functional.cross_entropy(logits, torch.tensor([0, 3])))


def test_diffusers_unet2d_denoising_step():
    from diffusers import DDPMScheduler, UNet2DModel

    torch.manual_seed(0)
    unet = UNet2DModel(sample_size=16, in_channels=3, out_channels=3, layers_per_block=1,
                       block_out_channels=(16, 32), norm_num_groups=8,
                       down_block_types=("DownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "UpBlock2D"))
    scheduler = DDPMScheduler(num_train_timesteps=100)
    clean = torch.randn(2, 3, 16, 16)
    noise = torch.randn_like(clean)
    timesteps = torch.tensor([10, 90])
    noisy = scheduler.add_noise(clean, noise, timesteps)
    predicted = unet(noisy, timesteps).sample
    assert predicted.shape == clean.shape
    step_and_check(unet, torch.nn.functional.mse_loss(predicted, noise))


def test_tiny_t5_seq2seq_step():
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    config = T5Config(vocab_size=64, d_model=32, d_kv=8, d_ff=64, num_layers=2,
                      num_decoder_layers=2, num_heads=4, decoder_start_token_id=0,
                      pad_token_id=0, eos_token_id=1)
    model = T5ForConditionalGeneration(config)
    input_ids = torch.randint(2, 64, (2, 7))
    labels = torch.randint(2, 64, (2, 5))
    out = model(input_ids=input_ids, labels=labels)
    assert out.logits.shape == (2, 5, 64)
    step_and_check(model, out.loss)
    generated = model.generate(input_ids, max_new_tokens=3, do_sample=False)
    assert generated.shape[0] == 2

