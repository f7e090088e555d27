"""The decoder in softmax/standard mode is mmocr's MasterDecoder; greedy decoding behaves."""

from __future__ import annotations

import torch
from mmengine.structures import LabelData
from mmocr.models.textrecog.decoders import MasterDecoder
from mmocr.models.textrecog.module_losses import CEModuleLoss
from mmocr.structures import TextRecogDataSample

from hamming_ocr.models import ClassifierModuleLoss, HammingMasterDecoder

D_MODEL, N_HEAD, FEAT = 32, 4, (2, 6)


def samples(texts: list[str]) -> list[TextRecogDataSample]:
    out = []
    for text in texts:
        sample = TextRecogDataSample()
        sample.gt_text = LabelData(item=text)
        out.append(sample)
    return out


def pair(dictionary):
    common = dict(n_layers=2, n_head=N_HEAD, d_model=D_MODEL, d_inner=64, attn_drop=0.,
                  ffn_drop=0., feat_pe_drop=0., feat_size=FEAT[0] * FEAT[1],
                  dictionary=dictionary, max_seq_len=7)
    ours = HammingMasterDecoder(
        use_ffn=True, share_layers=False, classifier=dict(type='SoftmaxClassifier'),
        embedding=dict(type='LookupEmbedding'),
        module_loss=dict(type='ClassifierModuleLoss'),
        postprocessor=dict(type='TokenIndexPostprocessor'), **common)
    reference = MasterDecoder(
        module_loss=dict(type='CEModuleLoss', reduction='mean', ignore_first_char=True),
        postprocessor=dict(type='AttentionPostprocessor'), **common)
    state = {key.replace('cls.', 'classifier.fc.'): value
             for key, value in reference.state_dict().items()}
    ours.load_state_dict(state, strict=True)
    return ours.eval(), reference.eval()


def test_softmax_mode_matches_mmocr_master_decoder(latin_dictionary):
    torch.manual_seed(0)
    ours, reference = pair(latin_dictionary)
    assert sum(p.numel() for p in ours.parameters()) == \
        sum(p.numel() for p in reference.parameters())
    feat = torch.randn(3, D_MODEL, *FEAT)
    batch = ClassifierModuleLoss(latin_dictionary, max_seq_len=7).get_targets(
        samples(['ab', 'Hello', 'x1']))
    torch.testing.assert_close(ours.forward_train(feat, None, batch),
                               reference.forward_train(feat, None, batch))
    ours_loss = ours.module_loss(ours.forward_train(feat, None, batch), batch, ours.classifier)
    ref_loss = CEModuleLoss(latin_dictionary, max_seq_len=7, reduction='mean',
                            ignore_first_char=True)(reference.forward_train(feat, None, batch),
                                                    batch)
    torch.testing.assert_close(ours_loss['loss_ce'], ref_loss['loss_ce'])

    with torch.no_grad():
        ours_pred = ours.predict(feat, None, samples(['', '', '']))
        ref_pred = reference.predict(feat, None, samples(['', '', '']))
    assert [s.pred_text.item for s in ours_pred] == [s.pred_text.item for s in ref_pred]


def test_greedy_decoding_stops_when_every_sequence_ended(latin_dictionary):
    decoder = HammingMasterDecoder(
        n_layers=1, n_head=2, d_model=16, feat_size=4, dictionary=latin_dictionary,
        max_seq_len=9, postprocessor=dict(type='TokenIndexPostprocessor')).eval()
    # make the head always answer <EOS>: zero weights, bias = EOS code as +-1 logits
    with torch.no_grad():
        decoder.classifier.fc.weight.zero_()
        decoder.classifier.fc.bias.copy_(decoder.classifier.encode(
            torch.tensor(latin_dictionary.end_idx)) * 5)
    indexes, scores = decoder.forward_test(torch.randn(2, 16, 2, 2))
    assert indexes.shape == (2, 1) and int(indexes[0, 0]) == latin_dictionary.end_idx
    assert [s.pred_text.item for s in decoder.postprocessor((indexes, scores),
                                                            samples(['', '']))] == ['', '']
