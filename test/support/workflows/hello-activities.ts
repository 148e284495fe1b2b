// The one activity of the smoke-test workflow. The workflow imports only the type.
export interface HelloActivities {
  recordGreeting(text: string): Promise<string>;
}

export function createHelloActivities(recorded: string[]): HelloActivities {
  return {
    recordGreeting: async (text) => {
      recorded.push(text);
      return `recorded #${recorded.length}`;
    },
  };
}
