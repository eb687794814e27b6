using System;
using System.Collections.Generic;
using System.Linq;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Training;

namespace SymGrad.Examples;

/// <summary>
/// The article's claim about deep networks: the sigmoid's derivative is at most ¼, so the gradient reaching the first
/// layer of a deep sigmoid network is a product of many small factors and vanishes, while ReLU's derivative is 1 where
/// a unit is active and tanh's is 1 at 0. The same deep network, started from the same weights and trained with plain
/// SGD, once per activation: its loss per epoch and the size of each layer's weight gradient during the first epoch.
/// </summary>
public static class VanishingGradients
{
    /// <summary>
    /// One activation's run: the mean |∂L/∂W| of every dense layer's weights over the batches of the first epoch
    /// (first layer first), and the training loss after each epoch.
    /// </summary>
    public sealed record Run(string Activation, double[] WeightGradientPerLayer, float[] LossPerEpoch)
    {
        /// <summary>The first dense layer's mean |∂L/∂W| divided by the last one's: how much of the gradient reaches the input.</summary>
        public double FirstOverLast => WeightGradientPerLayer[0] / WeightGradientPerLayer[^1];
    }

    /// <summary>
    /// Trains a network of <paramref name="depth"/> dense layers of <paramref name="width"/> units (1 input, 1 output),
    /// <paramref name="activation"/> after every dense layer but the last, with SGD (rate <paramref name="rate"/>,
    /// batches of 32) and the mean squared error, for <paramref name="epochs"/> epochs. The weights come from fixed seeds,
    /// so every activation starts from the same ones.
    /// </summary>
    public static Run Train(string name, Func<Layer> activation, Dataset data, int depth, int width, int epochs, float rate)
    {
        var layers = new List<Layer>();
        for (var d = 0; d < depth; d++)
        {
            layers.Add(new Dense(d == 0 ? 1 : width, d == depth - 1 ? 1 : width, seed: 100 + d));
            if (d < depth - 1) layers.Add(activation());
        }
        var network = new Network(layers.ToArray());
        var dense = layers.OfType<Dense>().ToArray();
        var weights = dense.Select(l => l.Weights).ToArray();
        var sums = new double[dense.Length];
        var batches = 0;
        var history = Trainer.Fit(network, new MeanSquaredError(), new Sgd(rate), data, new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = 32,
            Seed = 5,
            // After each batch's backward pass the gradients are still in place (the next batch clears them).
            OnBatch = r =>
            {
                if (r.Epoch != 1) return;
                for (var i = 0; i < weights.Length; i++)
                {
                    var g = weights[i].Gradient.Span;
                    var sum = 0.0;
                    foreach (var v in g) sum += Math.Abs(v);
                    sums[i] += sum / g.Length;
                }
                batches++;
            },
        });
        return new Run(name, sums.Select(s => s / batches).ToArray(), history.Epochs.Select(e => e.TrainLoss).ToArray());
    }
}
