using SymGrad.Cli;

return SymgradCommand.Create().Parse(args).Invoke();
