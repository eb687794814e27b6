using System;
using System.Linq;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Training;
using TorchSharp;
using static TorchSharp.torch;
using SymTensor = SymGrad.Tensors.DenseTensor;

namespace SymGrad.PeerBenchmarks;

/// <summary>
/// The compared models: SymGrad's network (seeded initial weights), and the same architecture in TorchSharp with those
/// weights copied in (Linear stores [out × in] where Dense stores [in × out]; Conv2d [out, in, kh, kw] where Conv2D
/// stores [kh, kw, in, out]; images are NCHW there and NHWC here, so the dense layer after flattening is permuted).
/// </summary>
public static class Models
{
    public static Program.Pair Logistic()
    {
        var dense = new Dense(2, 1, seed: 11);
        var linear = nn.Linear(2, 1);
        CopyDense(dense, linear);
        return new Program.Pair(new Network(dense), new BinaryCrossEntropy(), linear, nn.BCEWithLogitsLoss(),
            n => Separable(n, 2, seed: 12), Flat, 0.1f);
    }

    public static Program.Pair SmallMlp()
    {
        var (d1, d2) = (new Dense(2, 16, seed: 13), new Dense(16, 1, seed: 14));
        var (l1, l2) = (nn.Linear(2, 16), nn.Linear(16, 1));
        CopyDense(d1, l1);
        CopyDense(d2, l2);
        return new Program.Pair(new Network(d1, new Activation<Tanh>(), d2), new BinaryCrossEntropy(),
            nn.Sequential(("fc1", l1), ("tanh", nn.Tanh()), ("fc2", l2)), nn.BCEWithLogitsLoss(),
            n => Separable(n, 2, seed: 15), Flat, 0.1f);
    }

    public static Program.Pair MnistMlp()
    {
        var (d1, d2) = (new Dense(784, 128, seed: 16), new Dense(128, 10, seed: 17));
        var (l1, l2) = (nn.Linear(784, 128), nn.Linear(128, 10));
        CopyDense(d1, l1);
        CopyDense(d2, l2);
        return new Program.Pair(new Network(d1, new Activation<Tanh>(), d2), new SoftmaxCrossEntropy(),
            nn.Sequential(("fc1", l1), ("tanh", nn.Tanh()), ("fc2", l2)), nn.CrossEntropyLoss(),
            n => Images(n, flat: true, seed: 18), Flat, 0.05f);
    }

    public static Program.Pair Cnn()
    {
        var (c1, c2, d) = (new Conv2D(1, 8, 3, seed: 19), new Conv2D(8, 16, 3, seed: 20), new Dense(16 * 5 * 5, 10, seed: 21));
        var (t1, t2, l) = (nn.Conv2d(1, 8, 3), nn.Conv2d(8, 16, 3), nn.Linear(16 * 5 * 5, 10));
        CopyConv(c1, t1);
        CopyConv(c2, t2);
        // After two valid 3×3 convolutions and 2×2 pools a 28×28 image is 5×5×16: feature (h, w, c) is
        // (h·5 + w)·16 + c flattened NHWC, c·25 + h·5 + w flattened NCHW.
        var w = new float[10 * 400];
        var dw = d.Weights.Value.Span;
        for (var h = 0; h < 5; h++)
        for (var x = 0; x < 5; x++)
        for (var c = 0; c < 16; c++)
        for (var o = 0; o < 10; o++)
            w[o * 400 + c * 25 + h * 5 + x] = dw[((h * 5 + x) * 16 + c) * 10 + o];
        Set(l.weight!, w, 10, 400);
        Set(l.bias!, d.Bias.Value.Span.ToArray(), 10);
        var network = new Network(c1, new Activation<Relu>(), new MaxPool2D(2), c2, new Activation<Relu>(), new MaxPool2D(2), new Flatten(), d);
        var module = nn.Sequential(("conv1", t1), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)), ("conv2", t2), ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2)), ("flatten", nn.Flatten()), ("fc", l));
        return new Program.Pair(network, new SoftmaxCrossEntropy(), module, nn.CrossEntropyLoss(),
            n => Images(n, flat: false, seed: 22), x => torch.tensor(x.Span.ToArray(), x.Dim(0), 28, 28, 1).permute(0, 3, 1, 2).contiguous(), 0.05f);
    }

    private static torch.Tensor Flat(SymTensor x) => torch.tensor(x.Span.ToArray(), x.Dim(0), x.Length / x.Dim(0));

    private static void CopyDense(Dense dense, TorchSharp.Modules.Linear linear)
    {
        var (inputs, outputs) = (dense.Inputs, dense.Outputs);
        var w = new float[inputs * outputs];
        var source = dense.Weights.Value.Span;
        for (var i = 0; i < inputs; i++)
        for (var o = 0; o < outputs; o++)
            w[o * inputs + i] = source[i * outputs + o];
        Set(linear.weight!, w, outputs, inputs);
        Set(linear.bias!, dense.Bias.Value.Span.ToArray(), outputs);
    }

    private static void CopyConv(Conv2D conv, TorchSharp.Modules.Conv2d target)
    {
        int k = conv.Kernel, cin = conv.InChannels, cout = conv.OutChannels;
        var w = new float[cout * cin * k * k];
        var source = conv.Weights.Value.Span;
        for (var y = 0; y < k; y++)
        for (var x = 0; x < k; x++)
        for (var c = 0; c < cin; c++)
        for (var o = 0; o < cout; o++)
            w[((o * cin + c) * k + y) * k + x] = source[((y * k + x) * cin + c) * cout + o];
        Set(target.weight!, w, cout, cin, k, k);
        Set(target.bias!, conv.Bias.Value.Span.ToArray(), cout);
    }

    private static void Set(TorchSharp.Modules.Parameter p, float[] values, params long[] shape)
    {
        using var _ = torch.no_grad();
        using var source = torch.tensor(values, shape);
        p.copy_(source);
    }

    // Two Gaussian features, labelled by a noisy line: the article's logistic-regression setting.
    private static Dataset Separable(int n, int features, int seed)
    {
        var random = new Random(seed);
        var x = new SymTensor(n, features);
        var y = new SymTensor(n, 1);
        for (var i = 0; i < n; i++)
        {
            var score = 0.3;
            for (var f = 0; f < features; f++)
            {
                var v = Gaussian(random);
                x[i, f] = (float)v;
                score += (f + 1) * v;
            }
            y[i, 0] = score + 0.5 * Gaussian(random) > 0 ? 1 : 0;
        }
        return new Dataset(x, y);
    }

    // MNIST-shaped random images (80% zeros like MNIST's background) with random one-hot labels.
    private static Dataset Images(int n, bool flat, int seed)
    {
        var random = new Random(seed);
        var x = flat ? new SymTensor(n, 784) : new SymTensor(n, 28, 28, 1);
        foreach (ref var v in x.Span) v = random.NextDouble() < 0.8 ? 0f : (float)random.NextDouble();
        var y = new SymTensor(n, 10);
        for (var i = 0; i < n; i++) y[i, random.Next(10)] = 1;
        return new Dataset(x, y);
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());
}
