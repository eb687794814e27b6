using System;
using SymGrad.Cli;

return SymgradCommand.Run(args, Console.Out, Console.Error);
