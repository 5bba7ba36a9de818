import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CreateUserDto, LoginDto, UpdateUserDto } from '../users/user.dto.js';
import { UserService } from '../users/user.service.js';
import { CurrentUser, Public, Roles, type AuthUser } from './auth.decorators.js';
import { TokenService } from './token.service.js';
import { ApiErrors, ErrorResponseDto } from '../http/api-errors.js';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    @Inject(UserService) private readonly users: UserService,
    @Inject(TokenService) private readonly tokens: TokenService,
  ) {}

  @Public()
  @ApiResponse({ status: 200, description: 'signed in: a bearer token with its lifetime in seconds' })
  @ApiResponse({ status: 401, description: 'wrong username or password', type: ErrorResponseDto })
  @ApiResponse({ status: 400, description: 'invalid input', type: ErrorResponseDto })
  @Post('auth/login')
  @HttpCode(200)
  async login(@Body() body: LoginDto) {
    const user = await this.users.verify(body.username, body.password);
    if (!user) throw new UnauthorizedException('wrong username or password');
    return {
      ...this.tokens.sign(user.id, user.username),
      user: { id: user.id, username: user.username, displayName: user.displayName, roles: user.roles },
    };
  }

  @ApiBearerAuth()
  @ApiErrors()
  @Get('me')
  me(@CurrentUser() user: AuthUser) {
    return user;
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/users')
@Roles('admin')
export class UsersController {
  constructor(@Inject(UserService) private readonly users: UserService) {}

  @ApiErrors(403)
  @Get()
  async list() {
    return this.users.list();
  }

  @ApiErrors(400, 403, 409)
  @Post()
  async create(@Body() body: CreateUserDto) {
    return this.users.create(body);
  }

  @ApiErrors(400, 403, 404)
  @Patch(':id')
  async update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateUserDto) {
    return this.users.update(id, body);
  }
}
