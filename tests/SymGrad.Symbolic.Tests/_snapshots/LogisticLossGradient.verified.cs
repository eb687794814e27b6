public static double F(double b, double w1, double w2, double x1, double x2, double y, out double dw1, out double dw2, out double db)
{
    var sum0 = b + w1 * x1 + w2 * x2;
    var exp0 = Math.Exp(-Math.Abs(sum0));
    var sum1 = exp0 + 1.0;
    var sum2 = (sum0 >= 0.0 ? 1.0 : exp0) / sum1 - y;
    dw1 = sum2 * x1;
    dw2 = sum2 * x2;
    db = sum2;
    return Math.Max(0.0, sum0) + (1.0 == sum1 ? exp0 : exp0 * Math.Log(sum1) / (sum1 - 1.0)) - sum0 * y;
}
