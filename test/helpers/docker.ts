import Docker from 'dockerode'

/** Whether a Docker engine answers on the default socket (what a daemon here would find). */
export async function engineAnswers (): Promise<boolean> {
  try {
    await new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') ?? '/var/run/docker.sock' }).ping()
    return true
  } catch {
    return false
  }
}
