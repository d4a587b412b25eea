// Finds what the CLI needs from the deployed stack: each state machine's ARN and the rollback
// function's, from the outputs of the SAM stack (--stack-name, else stack_name in the current
// directory's samconfig.toml, else mesh-canary). On the local AWS, local/stack.ts publishes the same outputs.
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { StrategyType } from '../functions/commons/strategy.ts';
import type { Aws } from './aws.ts';
import { CommandFailed } from './errors.ts';
import { samConfigHere } from './project.ts';

export const machineOutputs: Record<StrategyType, string> = {
  linear: 'LinearStateMachineArn',
  'step-then-all': 'StepThenAllStateMachineArn',
  'manual-approval': 'ManualApprovalStateMachineArn',
};
export const ROLLBACK_OUTPUT = 'RollbackFunctionArn';

export const defaultStackName = () => samConfigHere().stackName ?? 'mesh-canary';

export class Stack {
  readonly name: string;
  private readonly aws: Aws;
  private outputs?: Promise<Record<string, string>>;

  constructor(aws: Aws, name = defaultStackName()) {
    this.aws = aws;
    this.name = name;
  }

  /** The stack's outputs, read once. */
  output(key: string, hint: string): Promise<string> {
    this.outputs ??= this.read();
    return this.outputs.then((outputs) => {
      const value = outputs[key];
      if (!value) throw new CommandFailed(`stack ${this.name} has no output ${key} (is it a mesh-canary stack?); ${hint}`);
      return value;
    });
  }

  machineArn(strategy: StrategyType): Promise<string> {
    return this.output(machineOutputs[strategy], 'or pass --state-machine-arn');
  }

  rollbackFunctionArn(): Promise<string> {
    return this.output(ROLLBACK_OUTPUT, 'or pass --rollback-function-arn');
  }

  private async read(): Promise<Record<string, string>> {
    try {
      const out = await this.aws.cloudFormation().send(new DescribeStacksCommand({ StackName: this.name }));
      return Object.fromEntries((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
    } catch (error) {
      const e = error as Error;
      if (e.name === 'ValidationError' && /does not exist/.test(e.message)) {
        throw new CommandFailed(`no stack named ${this.name} in ${this.aws.region ?? 'the default region'}${this.aws.endpointUrl ? ` at ${this.aws.endpointUrl}` : ''}: `
          + 'deploy it with `sam deploy`, point --stack-name / --region at it, or pass --state-machine-arn (in a checkout of mesh-canary, `npm run sandbox` runs one locally)');
      }
      throw error;
    }
  }
}
