"""Zero-shot classification and image<->text retrieval, following open_clip's protocol.

Zero-shot: class embeddings from ``open_clip.build_zero_shot_classifier`` (mean of the
normalised prompt embeddings over the templates), logits = 100 * image . class, top-1/top-5.
Retrieval: cosine similarity of every validation image with every caption; the pair's own
caption is the single correct answer (``get_clip_metrics`` in open_clip_train), R@1/5/10 both ways
plus the median rank.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from open_clip import build_zero_shot_classifier
from torch.utils.data import DataLoader


@torch.no_grad()
def encode_dataset(model, loader: DataLoader, device: torch.device, autocast):
    """Normalised image and text features (and labels, if the dataset has them)."""
    images, texts, labels = [], [], []
    for batch in loader:
        with autocast():
            images.append(F.normalize(model.encode_image(batch[0].to(device)), dim=-1).float())
            texts.append(F.normalize(model.encode_text(batch[1].to(device)), dim=-1).float())
        if len(batch) > 2:
            labels.append(batch[2])
    return torch.cat(images), torch.cat(texts), (torch.cat(labels) if labels else None)


def retrieval_metrics(image_features: torch.Tensor, text_features: torch.Tensor,
                      ks: tuple[int, ...] = (1, 5, 10)) -> dict[str, float]:
    """R@k for image->text and text->image, pair i being the only match of image/text i."""
    similarity = image_features @ text_features.T
    metrics = {}
    for name, logits in (("image_to_text", similarity), ("text_to_image", similarity.T)):
        truth = logits.diagonal()[:, None]
        ranks = (logits > truth).sum(dim=1)  # 0 = the right answer is first
        for k in ks:
            metrics[f"{name}_R@{k}"] = (ranks < k).float().mean().item()
        metrics[f"{name}_median_rank"] = ranks.float().median().item() + 1
    return metrics


@torch.no_grad()
def zero_shot_metrics(model, tokenizer, image_features: torch.Tensor, labels: torch.Tensor,
                      classnames: list[str], templates: list[str], device: torch.device,
                      ) -> dict[str, float]:
    classifier = build_zero_shot_classifier(
        model, tokenizer=tokenizer, classnames=classnames,
        templates=list(templates), num_classes_per_batch=10, device=device,
        use_tqdm=False,
    ).float()
    logits = 100.0 * image_features.to(device) @ classifier
    topk = logits.topk(min(5, len(classnames)), dim=1).indices.cpu()
    correct = topk == labels[:, None]
    return {
        "zeroshot_top1": correct[:, 0].float().mean().item(),
        "zeroshot_top5": correct.any(dim=1).float().mean().item(),
    }
