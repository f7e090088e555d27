# Hamming OCR at the paper's scale: mmocr's MASTER model (ResNet-31 with GCA plugins, 48x160
# inputs, d=512, N=3, 8 heads) with the MASTER decoder replaced by the paper's decoder.
_base_ = ['mmocr::textrecog/master/_base_master_resnet31.py']

custom_imports = dict(imports=['hamming_ocr'], allow_failed_imports=False)

code_bits = 64  # K, LSH code length in bits (paper value unknown; >= log2(V) = 15 for 20k chars)

model = dict(
    type='HammingOCR',
    data_preprocessor=dict(type='ChannelsLastTextRecogDataPreprocessor'),
    decoder=dict(
        _delete_=True,
        type='HammingMasterDecoder',
        n_layers=3,  # N decoder layer applications
        n_head=8,
        d_model=512,  # d
        d_inner=2048,  # FFN width, used only when use_ffn=True
        use_ffn=False,  # the paper removes the FFN
        share_layers=True,  # the paper shares parameters across layers
        attn_drop=0.,
        ffn_drop=0.,
        feat_pe_drop=0.2,
        feat_size=6 * 40,
        classifier=dict(
            type='HammingClassifier',
            code_book=dict(type='LSHCodeBook', code_bits=code_bits, source='random', seed=0),
            loss='soft_hamming_ce'),  # our choice, as in the quick configs (README)
        embedding=dict(type='CodeEmbedding'),
        module_loss=dict(type='ClassifierModuleLoss'),
        postprocessor=dict(type='TokenIndexPostprocessor'),
        max_seq_len=30))  # `dictionary` comes from the top-level config's dataset
