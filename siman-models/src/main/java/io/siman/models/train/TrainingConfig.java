package io.siman.models.train;

import io.siman.api.Encoding;
import io.siman.api.InvalidDataException;
import io.siman.api.SimanException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What defines a training run (stored in every checkpoint; {@code --resume} continues with it). Where to
 * find the data and how many threads to use are not part of it: they do not change the result.
 *
 * @param binarizedWeightDecay weight decay of binarized conv weights and alphas; null applies the binarizer's
 *                             rule (SiMaN: 0; the baselines: {@code weightDecay})
 * @param limit                use only the first {@code limit} training images; 0 for all
 * @param valSplit             training images held out to choose the best checkpoint; 0 chooses by test accuracy
 */
public record TrainingConfig(String model, String dataset, String binarizer, Encoding encoding,
                             int epochs, int batch, double lr, double momentum, double weightDecay,
                             Double binarizedWeightDecay, int warmup, long seed, int limit, int valSplit) {
    // The defaults of every field: the builder's and the command line's (one place for both).
    public static final String DEFAULT_MODEL = "resnet20";
    public static final String DEFAULT_DATASET = "fashion-mnist";
    public static final String DEFAULT_BINARIZER = "siman";
    /** The id of the default {@link Encoding}, {@link Encoding#PM1}. */
    public static final String DEFAULT_ENCODING = "pm1";
    public static final int DEFAULT_EPOCHS = 8;
    public static final int DEFAULT_BATCH = 256;
    public static final double DEFAULT_LR = 0.1;
    /** SGD's momentum, as the method prescribes. */
    public static final double DEFAULT_MOMENTUM = 0.9;
    public static final double DEFAULT_WEIGHT_DECAY = 5e-4;
    public static final int DEFAULT_WARMUP = 0;
    public static final long DEFAULT_SEED = 123;

    /** A builder holding the defaults above; set what differs, then {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** This configuration as a builder, to change some fields. */
    public Builder toBuilder() {
        return new Builder().model(model).dataset(dataset).binarizer(binarizer).encoding(encoding).epochs(epochs)
                .batch(batch).lr(lr).momentum(momentum).weightDecay(weightDecay).binarizedWeightDecay(binarizedWeightDecay)
                .warmup(warmup).seed(seed).limit(limit).valSplit(valSplit);
    }

    /** Builds a {@link TrainingConfig} from the defaults; {@link #build()} checks the values as the constructor does. */
    public static final class Builder {
        private String model = DEFAULT_MODEL, dataset = DEFAULT_DATASET, binarizer = DEFAULT_BINARIZER;
        private Encoding encoding = Encoding.fromId(DEFAULT_ENCODING);
        private int epochs = DEFAULT_EPOCHS, batch = DEFAULT_BATCH, warmup = DEFAULT_WARMUP, limit, valSplit;
        private double lr = DEFAULT_LR, momentum = DEFAULT_MOMENTUM, weightDecay = DEFAULT_WEIGHT_DECAY;
        private Double binarizedWeightDecay;
        private long seed = DEFAULT_SEED;

        private Builder() {
        }

        /** A zoo network: resnet20, resnet18, vgg-small, resnet18-imagenet, resnet34-imagenet. */
        public Builder model(String model) {
            this.model = model;
            return this;
        }

        /** fashion-mnist, cifar10 or imagenet. */
        public Builder dataset(String dataset) {
            this.dataset = dataset;
            return this;
        }

        /** siman, xnor, irnet, none, or a plugin's. */
        public Builder binarizer(String binarizer) {
            this.binarizer = binarizer;
            return this;
        }

        public Builder encoding(Encoding encoding) {
            this.encoding = encoding;
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder batch(int batch) {
            this.batch = batch;
            return this;
        }

        /** The initial learning rate (cosine decay to 0 after the warm-up). */
        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /** L2 weight decay of full-precision parameters. */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** Weight decay of binarized weights and alphas; null (the default) applies the binarizer's rule. */
        public Builder binarizedWeightDecay(Double binarizedWeightDecay) {
            this.binarizedWeightDecay = binarizedWeightDecay;
            return this;
        }

        /** Epochs of linear warm-up before the cosine decay. */
        public Builder warmup(int warmup) {
            this.warmup = warmup;
            return this;
        }

        /** Seed of initialization, shuffling and augmentation. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Use only the first {@code limit} training images; 0 (the default) for all. */
        public Builder limit(int limit) {
            this.limit = limit;
            return this;
        }

        /** Training images held out to choose the best checkpoint; 0 (the default) chooses by test accuracy. */
        public Builder valSplit(int valSplit) {
            this.valSplit = valSplit;
            return this;
        }

        public TrainingConfig build() {
            return new TrainingConfig(model, dataset, binarizer, encoding, epochs, batch, lr, momentum, weightDecay,
                    binarizedWeightDecay, warmup, seed, limit, valSplit);
        }
    }

    public TrainingConfig {
        if (epochs < 1) {
            throw new SimanException("epochs must be at least 1, got " + epochs);
        }
        if (batch < 2) {
            throw new SimanException("batch must be at least 2 (batch norm needs two samples), got " + batch);
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new SimanException("learning rate must be a positive number, got " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new SimanException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new SimanException("weight decay must be a non-negative number, got " + weightDecay);
        }
        if (binarizedWeightDecay != null && (!(binarizedWeightDecay >= 0) || !Double.isFinite(binarizedWeightDecay))) {
            throw new SimanException("binarized weight decay must be a non-negative number, got " + binarizedWeightDecay);
        }
        if (warmup < 0 || warmup >= epochs) {
            throw new SimanException("warm-up must be between 0 and epochs - 1, got " + warmup + " for " + epochs + " epochs");
        }
        if (limit < 0 || valSplit < 0) {
            throw new SimanException("--limit and --val-split must not be negative");
        }
    }

    /** Learning rate of an epoch: linear warm-up {@code lr*(e+1)/warmup}, then cosine to 0 over the rest (docs/method.md section 6). */
    public double learningRate(int epoch) {
        if (epoch < warmup) {
            return lr * (epoch + 1) / warmup;
        }
        int span = epochs - warmup;
        return 0.5 * lr * (1 + Math.cos(Math.PI * (epoch - warmup) / span));
    }

    /** Key-value form, in a fixed order, as stored in checkpoints and compared on resume. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("dataset", dataset);
        m.put("binarizer", binarizer);
        m.put("encoding", encoding.id());
        m.put("epochs", Integer.toString(epochs));
        m.put("batch", Integer.toString(batch));
        m.put("lr", Double.toString(lr));
        m.put("momentum", Double.toString(momentum));
        m.put("weight-decay", Double.toString(weightDecay));
        m.put("binarized-weight-decay", binarizedWeightDecay == null ? "" : Double.toString(binarizedWeightDecay));
        m.put("warmup", Integer.toString(warmup));
        m.put("seed", Long.toString(seed));
        m.put("limit", Integer.toString(limit));
        m.put("val-split", Integer.toString(valSplit));
        return m;
    }

    public static TrainingConfig fromMap(Map<String, String> m, String source) {
        try {
            String bwd = m.get("binarized-weight-decay");
            return new TrainingConfig(req(m, "model", source), req(m, "dataset", source), req(m, "binarizer", source),
                    Encoding.fromId(req(m, "encoding", source)), Integer.parseInt(req(m, "epochs", source)),
                    Integer.parseInt(req(m, "batch", source)), Double.parseDouble(req(m, "lr", source)),
                    Double.parseDouble(req(m, "momentum", source)), Double.parseDouble(req(m, "weight-decay", source)),
                    bwd == null || bwd.isEmpty() ? null : Double.valueOf(bwd), Integer.parseInt(req(m, "warmup", source)),
                    Long.parseLong(req(m, "seed", source)), Integer.parseInt(req(m, "limit", source)),
                    Integer.parseInt(req(m, "val-split", source)));
        } catch (NumberFormatException e) {
            throw new InvalidDataException(source + ": bad training configuration value (" + e.getMessage() + ")");
        }
    }

    private static String req(Map<String, String> m, String key, String source) {
        String v = m.get(key);
        if (v == null) {
            throw new InvalidDataException(source + ": training configuration lacks '" + key + "'");
        }
        return v;
    }
}
