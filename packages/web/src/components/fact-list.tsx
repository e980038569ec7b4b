import type { Child, FC } from 'hono/jsx';

/**
 * A thread's facts as a definition list, leaving out those it has no value for (the transcript's
 * header and a stored thread's page).
 */
export const FactList: FC<{ facts: ReadonlyArray<[string, Child]> }> = ({ facts }) => (
  <dl class="facts">
    {facts
      .filter(([, value]) => value !== null && value !== '')
      .map(([name, value]) => (
        <>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </>
      ))}
  </dl>
);
