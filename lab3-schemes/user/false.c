/* false: fail (exit status 1), for trying out the shell's $?. */
int main(void)
{
	return 1;
}
